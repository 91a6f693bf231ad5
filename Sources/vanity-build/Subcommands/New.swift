import ArgumentParser
import Foundation
import VanityDriver

struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a project: a folder with system.toml, an Embedded Swift shard and a C17 shard joined by a channel.")

    @Argument(help: "The folder to create (new or empty); its name is the system's name.")
    var folder: String

    @Option(name: .long, help: "The system's name (default: the folder's name).")
    var name: String?

    func run() throws {
        let trimmed = folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
        let system = name ?? (trimmed as NSString).lastPathComponent
        let files = try Console.get(Driver.createProject(at: trimmed, system: system))
        print("vanity-build: created \(trimmed)/ for system \"\(system)\": \(files.count) files")
        for f in files { print("  \(f)") }
        print("next: cd \(trimmed.contains(" ") ? "'\(trimmed)'" : trimmed) && vanity-build run --platform sim")
    }
}
