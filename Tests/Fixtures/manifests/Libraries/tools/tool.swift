func tool() {}
