module treestat

go 1.19
