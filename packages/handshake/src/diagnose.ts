/** The longest handshake line read or quoted; go-plugin's `bufio.Scanner` gives up past 64 KiB too. */
export const MAX_HANDSHAKE_LINE = 64 * 1024;

const QUOTE_LIMIT = 512;

/** Shortens a hostile line for an error message. */
export function quoteLine(line: string): string {
  return line.length > QUOTE_LIMIT ? `${line.slice(0, QUOTE_LIMIT)}… (${line.length} characters)` : line;
}

/** What to put in {@link unrecognizedMessage}. */
export interface UnrecognizedMessageOptions {
  /** The plugin closed stdout before printing any line. */
  noLines?: boolean;
  /** Facts about the plugin file ("Path: …", "Mode: …", architecture), one per entry. */
  notes?: readonly string[];
}

/**
 * go-plugin's text for a first stdout line that is not a handshake, with its diagnosis hints and optional notes
 * about the plugin file.
 * @param line - the line the plugin printed (shortened when long)
 * @param options - whether stdout closed, and notes about the file
 */
export function unrecognizedMessage(line: string, options: UnrecognizedMessageOptions = {}): string {
  let text = `Unrecognized remote plugin message: ${quoteLine(line)}`;
  if (options.noLines) text += "\nFailed to read any lines from plugin's stdout";
  text +=
    '\nThis usually means\n' +
    '  the plugin was not compiled for this architecture,\n' +
    '  the plugin is missing dynamic-link libraries necessary to run,\n' +
    '  the plugin is not executable by this process due to file permissions, or\n' +
    '  the plugin failed to negotiate the initial go-plugin protocol handshake\n';
  const notes = options.notes ?? [];
  if (notes.length > 0) text += `\nAdditional notes about plugin:\n${notes.map((n) => `  ${n}`).join('\n')}\n`;
  return text;
}
