// swift-tools-version: 6.1
import PackageDescription

// mend is a Linux tool: it reads and changes /proc/sys, /sys, rlimits, systemd and Linux firewalls,
// and its Host layer calls Glibc directly. No other platform is built or supported.
let package = Package(
    name: "mend",
    products: [
        .library(name: "MendKit", targets: ["MendKit"]),
        .executable(name: "mend", targets: ["mend"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // Signal handlers and the step timer set an atomic flag the interpreter polls.
        .target(name: "CMendSupport"),
        .target(
            name: "MendKit",
            dependencies: ["CMendSupport", .product(name: "OrderedCollections", package: "swift-collections")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny"), .unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        // GNU readline for the REPL, reached only by the executable (MendKit never depends on it).
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]),
        // Runs before the Swift runtime: says so when /proc, which the runtime needs, is missing.
        .target(name: "CMendStart"),
        .executableTarget(
            name: "mend",
            dependencies: [
                "MendKit",
                "CReadline",
                "CMendStart",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Linked statically (Debian's -dev packages ship the archives) so the binary stays
            // self-contained, like the statically linked Swift runtime. With the toolchain's lld:
            // gold warns about glibc's mktemp, which the static Foundation (needed by the argument
            // parser) references but mend never calls.
            linkerSettings: [.linkedLibrary(":libreadline.a"), .linkedLibrary(":libtinfo.a"),
                             .unsafeFlags(["-use-ld=lld"])]
        ),
        .testTarget(
            name: "MendKitTests",
            dependencies: ["MendKit"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "mendTests",
            // Depends on the executable so `swift test` builds the binary these tests drive.
            dependencies: ["MendKit", "mend"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
