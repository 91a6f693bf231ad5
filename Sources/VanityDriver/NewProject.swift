import Foundation
import VanityCodegen
import VanityDiagnostics
import VanityManifest

/// What `vanity-build new NAME` writes: a two-shard project that builds for
/// every platform and boots, prints and stops on its own.
/// An Embedded Swift shard ("counter") sends numbered messages over a
/// channel to a C17 shard ("printer"), which prints them and, after the
/// last, shuts the system down with status 0.
public enum ProjectTemplate {
    /// The Swift shard, the C shard and their channel.
    public static let swiftShard = "counter"
    public static let cShard = "printer"
    public static let channel = "numbers"
    /// Messages the counter sends.
    public static let messages = 10
    public static let platforms = ["sim", "aarch64-virt", "riscv64-virt", "x86_64-pc"]

    /// The project's files, paths relative to its folder.
    public static func files(system: String) -> [GeneratedFile] {
        [GeneratedFile(path: "system.toml", contents: manifest(system: system)),
         GeneratedFile(path: "shards/\(swiftShard)/main.swift", contents: swiftSource),
         GeneratedFile(path: "shards/\(cShard)/main.c", contents: cSource),
         GeneratedFile(path: "README.md", contents: readme(system: system)),
         GeneratedFile(path: ".gitignore", contents: "build/\n")]
    }

    static func manifest(system: String) -> String {
        """
        # The "\(system)" system: an Embedded Swift shard counts, a C17 shard prints.
        #
        #   \(swiftShard) (Embedded Swift) --\(channel)--> \(cShard) (C17)
        #
        # Boot it:  vanity-build run --platform sim       (or aarch64-virt, riscv64-virt, x86_64-pc under QEMU)
        # Build it: vanity-build build                    (every platform below; outputs in build/)
        # Every key: docs/manifest.md in the Vanity repository.

        [system]
        name = "\(system)"
        version = "0.1.0"
        platforms = [\(platforms.map { "\"\($0)\"" }.joined(separator: ", "))]

        [shards.\(swiftShard)]
        lang = "swift"
        path = "shards/\(swiftShard)"   # relative to this file
        cores = [1]                     # core 0 is the kernel's
        caps = ["log"]

        [shards.\(cShard)]
        lang = "c"
        path = "shards/\(cShard)"
        cores = [2]
        caps = ["log", "shutdown"]      # it stops the system when it is done
        supervisor = { policy = "abort" }   # a fault here stops the system with a non-zero status

        [channels.\(channel)]
        from = "\(swiftShard)"
        to = "\(cShard)"
        msg-size = 16                   # bytes: struct Number (main.swift) and struct number (main.c)
        slots = 16                      # a power of two

        """
    }

    static let swiftSource = """
        // \(swiftShard) (Embedded Swift): sends the numbers 1...\(messages) and their squares
        // to the \(cShard) over the "\(channel)" channel, then waits; the \(cShard)
        // stops the system after the last one.
        //
        // Shard.Channels, Shard.Devices: generated from system.toml (build/<system>/<platform>/shards/\(swiftShard)/Shard.swift).
        // Vanity.log and the channel types: the Vanity Swift library; the C library's
        // functions (vanity_wait, vanity_time_ns, ...) can be called directly.

        /// One message on "\(channel)": 16 bytes, laid out like struct number in shards/\(cShard)/main.c.
        struct Number {
            var seq: UInt32
            var of: UInt32
            var square: UInt64
        }

        @_cdecl("main")
        public func main() -> Int32 {
            let numbers = Shard.Channels.\(channel)
            let count: UInt32 = \(messages)
            Vanity.log("\(swiftShard): hello from Embedded Swift, sending \(messages) numbers to the \(cShard)\\n")
            for n in 1...count {
                numbers.send(Number(seq: n, of: count, square: UInt64(n) * UInt64(n)))
            }
            Vanity.log("\(swiftShard): all sent\\n")
            while true { _ = vanity_wait(0) } // returning would end the shard; the \(cShard) ends the system
        }

        """

    static let cSource = """
        /* \(cShard) (C17): prints the numbers the \(swiftShard) sends over "\(channel)",
         * checks each, and after the last one shuts the system down with status 0
         * (status 1 if a number is wrong). */
        #include <vanity/vanity.h> /* the C library; it includes the generated <vanity_shard.h> */

        /* One message on "\(channel)": 16 bytes, laid out like struct Number in shards/\(swiftShard)/main.swift. */
        struct number {
          uint32_t seq;
          uint32_t of;
          uint64_t square;
        };

        _Static_assert(sizeof(struct number) == VANITY_CHANNEL_\(channel.uppercased())_MSG_SIZE, "one message per slot");

        int main(void) {
          const struct vanity_channel *in = &vanity_channel_\(channel);
          vanity_printf("\(cShard): hello from C17, waiting for numbers\\n");
          for (uint32_t expected = 1;; expected++) {
            struct number n;
            if (!vanity_recv(in, &n) || n.seq != expected || n.square != (uint64_t)n.seq * n.seq) {
              vanity_printf("\(cShard): FAIL: expected number %u, got %u (square %lu)\\n", expected, n.seq, n.square);
              vanity_shutdown(1);
            }
            vanity_printf("\(cShard): %u of %u: %u squared is %lu\\n", n.seq, n.of, n.seq, n.square);
            if (n.seq == n.of) break;
          }
          vanity_printf("\(cShard): all numbers arrived, shutting the system down\\n");
          vanity_shutdown(0);
          return 1;
        }

        """

    static func readme(system: String) -> String {
        """
        # \(system)

        A Vanity system: two shards on their own cores, an
        Embedded Swift one (`shards/\(swiftShard)`) sending numbers over a channel to a
        C17 one (`shards/\(cShard)`), which prints them and then stops the system.
        `system.toml` describes it all.

        ```sh
        vanity-build run --platform sim            # build and boot it in the hosted simulator
        vanity-build run --platform aarch64-virt   # under QEMU (also riscv64-virt, x86_64-pc)
        vanity-build build                         # build every platform in system.toml
        vanity-build check                         # validate system.toml and print a summary
        vanity-build layout --platform sim         # the memory map
        ```

        Every command reads `./system.toml` unless given `--config FILE`; outputs go to
        `build/<system>/<platform>/` beside it. While a system runs, `vanity-build ps`
        and `vanity-build logs` (with the same `--platform`) show it from another
        terminal.

        To add a shard: a folder under `shards/` with a `main.c` (`#include <vanity/vanity.h>`)
        or a `main.swift` (`@_cdecl("main") public func main() -> Int32`), a
        `[shards.<name>]` table in `system.toml` with its own core, and channels to
        the shards it talks to.

        """
    }
}

extension Driver {
    /// Writes a new project (ProjectTemplate) into `folder`, which must not
    /// exist or be empty; `system`: the system's name. Returns the files written.
    public static func createProject(at folder: String, system: String) -> Result<[String], DriverFailure> {
        func fail(_ status: ExitStatus, _ message: String) -> Result<[String], DriverFailure> {
            .failure(DriverFailure(status: status, diagnostics: [.error(.unknown(folder), message)], file: folder))
        }
        guard isValidName(system) else {
            return fail(.usage, "\"\(system)\" cannot name a system: names are lower-case letters, digits and '-', starting with a letter "
                        + "(the folder's name is the system's unless --name gives another)")
        }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: folder, isDirectory: &isDir) {
            guard isDir.boolValue else { return fail(.usage, "a file of that name exists; a project needs a new or empty folder") }
            let entries = (try? fm.contentsOfDirectory(atPath: folder)) ?? []
            guard entries.isEmpty else {
                return fail(.usage, "the folder exists and is not empty (\(entries.sorted().prefix(3).joined(separator: ", "))"
                            + (entries.count > 3 ? ", ..." : "") + "); a project needs a new or empty folder")
            }
        }
        var written: [String] = []
        do {
            for f in ProjectTemplate.files(system: system) {
                let path = (folder as NSString).appendingPathComponent(f.path)
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(f.contents.utf8).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
                written.append(path)
            }
        } catch {
            return fail(.ioError, "cannot write the project: \(error.localizedDescription)")
        }
        return .success(written)
    }
}
