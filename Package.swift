// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Vanity",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vanity-build", targets: ["vanity-build"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C views of the libraries we rely on.
        .target(name: "CTomlShim", path: "Sources/CTomlShim",
                cxxSettings: [.unsafeFlags(["-std=c++17"])]),
        .systemLibrary(name: "CFdt", path: "Sources/CFdt"),
        .systemLibrary(name: "CElf", path: "Sources/CElf", pkgConfig: "libelf"),
        // elfutils' libdw: DWARF line tables, for naming where a shard faulted.
        .systemLibrary(name: "CDw", path: "Sources/CDw", pkgConfig: "libdw"),
        // The kernel's ABI headers (ring format, capabilities, system table),
        // imported by the host tools so each fact has one definition.
        .systemLibrary(name: "VanityABI", path: "Sources/VanityABI"),
        // The debug link's framing, the kernel's own C (one implementation).
        .target(name: "CVanityDebug", path: "Kernel/src", sources: ["debug.c", "sha256.c"], publicHeadersPath: "debug-module",
                cSettings: [.unsafeFlags(["-I", Context.packageDirectory + "/Kernel/include"])]),

        // Child processes that start with an empty signal mask and can always be ended.
        .target(name: "CVanityProcess"),
        .target(name: "VanityProcess", dependencies: ["CVanityProcess"]),
        // One module per stage; each core is pure.
        .target(name: "VanityDiagnostics"),
        .target(name: "VanityManifest", dependencies: ["CTomlShim", "VanityDiagnostics"]),
        .target(name: "VanityPlatform", dependencies: ["CFdt", "VanityABI", "VanityManifest", "VanityDiagnostics"]),
        .target(name: "VanityModel", dependencies: ["VanityABI", "VanityManifest", "VanityPlatform", "VanityDiagnostics"]),
        .target(name: "VanityLayout", dependencies: ["VanityABI", "VanityManifest", "VanityModel"]),
        .target(name: "VanityCodegen", dependencies: ["VanityABI", "VanityDiagnostics", "VanityManifest", "VanityModel", "VanityLayout",
                                                      .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "VanityImage", dependencies: ["CElf", "CDw", "VanityABI", "VanityDiagnostics", "VanityManifest", "VanityModel", "VanityLayout"]),
        .target(name: "VanityDebug", dependencies: ["CVanityDebug", "VanityABI", "VanityProcess", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "VanityToolchain", dependencies: ["VanityDiagnostics", "VanityProcess", "VanityLayout", "VanityModel", "VanityPlatform",
                                                        .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "VanityDriver", dependencies: ["VanityABI", "VanityManifest", "VanityPlatform", "VanityModel", "VanityLayout", "VanityCodegen", "VanityDiagnostics", "VanityToolchain", "VanityImage", "VanityDebug", "VanityProcess",
                                                      .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(name: "vanity-build", dependencies: [
            "VanityDriver", "VanityDebug", "VanityABI", "CVanityDebug", "VanityImage",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "vanity-bench", dependencies: ["VanityDriver"], path: "Benchmarks/vanity-bench"),

        .testTarget(name: "VanityTests", dependencies: [
            "VanityDriver", "VanityDiagnostics", "VanityManifest", "VanityPlatform", "VanityModel", "VanityLayout", "VanityCodegen", "VanityImage", "VanityDebug",
            "VanityToolchain", "VanityProcess", "CVanityDebug", .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
