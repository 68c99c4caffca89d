module exshared

go 1.21
