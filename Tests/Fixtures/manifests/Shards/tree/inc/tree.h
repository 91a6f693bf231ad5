#define TREE 1
