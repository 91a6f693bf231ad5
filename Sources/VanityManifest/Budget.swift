/// One of a shard's `max-sizes` budgets: a loadable region of the shard and
/// the sections that fill it. The one definition of the budget keys: the
/// manifest reader, the model, the layout (`regionKind`), the linker scripts
/// and the ELF checks all go through this type.
public enum BudgetKey: String, Sendable, CaseIterable {
    case text, rodata, data

    /// The key under `max-sizes` in the manifest.
    public var manifestKey: String { rawValue }

    /// How messages name the setting: "max-sizes.text".
    public var setting: String { "max-sizes.\(manifestKey)" }

    /// "over its max-sizes.text budget of 4 KiB (4096 bytes)".
    public func over(budget: UInt64) -> String { "over its \(setting) budget of \(ByteSize.format(budget)) (\(budget) bytes)" }

    /// Input-section name prefixes whose bytes count against this budget. A
    /// section belongs to the key with the longest matching prefix
    /// (`.data.rel.ro` is read-only data, not data).
    public var sectionPrefixes: [String] {
        switch self {
        case .text: return [".text"]
        case .rodata: return [".rodata", ".srodata", ".data.rel.ro"]
        case .data: return [".data", ".bss", ".sdata", ".sbss"]
        }
    }

    /// The output sections messages name: ".text", or ".data" and ".bss".
    public var outputSections: [String] {
        switch self {
        case .text: return [".text"]
        case .rodata: return [".rodata"]
        case .data: return [".data", ".bss"]
        }
    }

    /// The budget an input section named `section` counts against, if any.
    public static func containing(section: String) -> BudgetKey? {
        allCases.flatMap { key in key.sectionPrefixes.map { (key, $0) } }
            .filter { section.hasPrefix($0.1) }
            .max { $0.1.count < $1.1.count }?.0
    }
}
