// Demo transformer (Embedded Swift): reads "samples", writes "results".
// Placeholder until the kernel issue provides the user library.

@_cdecl("_start")
public func start() {
    while true {}
}
