module exbench

go 1.21
