module exproto

go 1.21
