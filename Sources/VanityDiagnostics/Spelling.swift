/// How numbers and names are spelled in messages and generated sources: one
/// definition each, used by every stage.

/// "0x40200000": an address or size in a message or a generated file.
public func hex<T: BinaryInteger>(_ v: T) -> String {
    "0x" + String(v, radix: 16)
}

/// Names in the manifest are `[a-z][a-z0-9-]*` (devices may also carry `_`,
/// `@`, `,` and `.` from device-tree node names); these turn them into
/// identifiers.
public enum Ident {
    /// "my-chan" → "my_chan": a C identifier (also a Swift module name),
    /// injective on manifest names.
    public static func c(_ name: String) -> String {
        var out = String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        if let f = out.first, f.isNumber { out = "_" + out }
        return out
    }

    /// "my-chan" → "MY_CHAN".
    public static func macro(_ name: String) -> String { c(name).uppercased() }

    /// "/soc/rtc@101000" → "rtc_101000": a device's identifier from its
    /// device-tree node (the last path component, lower case).
    public static func node(_ path: String) -> String {
        c((path.split(separator: "/").last.map(String.init) ?? "device").lowercased())
    }

    /// "my-chan" → "myChan"; "a-1" → "a_1" so it cannot meet "a1"; keywords
    /// are escaped with backticks.
    public static func swift(_ name: String) -> String {
        var out = ""
        var upper = false
        for ch in name {
            if ch == "-" || ch == "_" || ch == "@" || ch == "." || ch == "," {
                upper = true
                continue
            }
            if upper {
                out += ch.isNumber || out.isEmpty ? "_" + String(ch) : ch.uppercased()
                upper = false
            } else {
                out.append(ch)
            }
        }
        if let f = out.first, f.isNumber { out = "_" + out }
        return swiftKeywords.contains(out) ? "`\(out)`" : out
    }

    static let swiftKeywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
        "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default",
        "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch",
        "where", "while", "as", "false", "is", "nil", "self", "super", "throws", "true", "try", "Self", "Type",
        "Any", "some", "any", "await", "async", "consume", "copy", "borrowing", "consuming", "Protocol",
    ]

    /// The macros a shard header defines for each channel endpoint, each
    /// `VANITY_CHANNEL_<NAME>` plus one suffix (VanityCodegen's ShardHeader).
    public enum ChannelMacro: String, CaseIterable, Sendable {
        case id = "_ID", address = "_ADDR", size = "_SIZE", msgSize = "_MSG_SIZE", slots = "_SLOTS"
        case direction = "_DIRECTION", notify = "_NOTIFY", wakeIndex = "_WAKE_INDEX"
    }

    /// "my-chan" → "VANITY_CHANNEL_MY_CHAN": a channel's macro prefix.
    public static func channelMacro(_ name: String) -> String { "VANITY_CHANNEL_" + macro(name) }
    /// "my-chan" → "vanity_channel_my_chan": a channel's C handle.
    public static func channelHandle(_ name: String) -> String { "vanity_channel_" + c(name) }
    /// "my-chan" → "VANITY_WOKE_CHANNEL_MY_CHAN": a channel's bit in a wait's result.
    public static func channelWokeMacro(_ name: String) -> String { "VANITY_WOKE_CHANNEL_" + macro(name) }

    /// Every identifier generated sources spell for a channel (its macros,
    /// C handle and Swift name): two channels of one shard must share none.
    public static func channelIdentifiers(_ name: String) -> [String] {
        let m = channelMacro(name)
        return ChannelMacro.allCases.map { m + $0.rawValue } + [channelHandle(name), channelWokeMacro(name), swift(name)]
    }

    /// The macros a shard header defines for each shared region it maps,
    /// each `VANITY_REGION_<NAME>` plus one suffix (`_PHYS` only for DMA
    /// regions, but reserved for every region).
    public enum RegionMacro: String, CaseIterable, Sendable {
        case address = "_ADDR", size = "_SIZE", writable = "_WRITABLE", dma = "_DMA", uncached = "_UNCACHED", phys = "_PHYS"
    }

    /// "rx-frames" → "VANITY_REGION_RX_FRAMES": a region's macro prefix.
    public static func regionMacro(_ name: String) -> String { "VANITY_REGION_" + macro(name) }
    /// "rx-frames" → "vanity_region_rx_frames": a region's C handle.
    public static func regionHandle(_ name: String) -> String { "vanity_region_" + c(name) }

    /// Every identifier generated sources spell for a region (its macros, C
    /// handle and Swift name): two regions of one shard must share none.
    public static func regionIdentifiers(_ name: String) -> [String] {
        let m = regionMacro(name)
        return RegionMacro.allCases.map { m + $0.rawValue } + [regionHandle(name), swift(name)]
    }

    /// Makes `names` distinct by appending "_2", "_3", … to later repeats.
    public static func distinct(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.map { n in
            var candidate = n
            var k = 2
            while !seen.insert(candidate).inserted {
                candidate = "\(n)_\(k)"
                k += 1
            }
            return candidate
        }
    }
}
