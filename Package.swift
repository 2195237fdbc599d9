// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "returnd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "returnd", targets: ["returnd"]),
        .executable(name: "returnctl", targets: ["returnctl"]),
        // For the libFuzzer package in fuzz/, which builds the parsers and loaders with -sanitize=fuzzer.
        .library(name: "ReturnsCore", targets: ["ReturnsCore"]),
        .library(name: "Carriers", targets: ["Carriers"]),
        .library(name: "Transport", targets: ["Transport"]),
        // For the fuzz target of label drawing from a buyer's text.
        .library(name: "Labels", targets: ["Labels"]),
        // For the fuzz target of returnd.yaml's loader.
        .library(name: "API", targets: ["API"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        // C libraries: a module map and a shim header each, nothing else.
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CZint", providers: [.apt(["libzint-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CFriBidi", pkgConfig: "fribidi", providers: [.apt(["libfribidi-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        .target(
            name: "ReturnsCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(
            name: "Carriers",
            dependencies: ["ReturnsCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "Labels",
            dependencies: [
                "ReturnsCore", "Carriers", "CQREncode", "CZint", "CCairo", "CPNG", "CFriBidi",
                // Already built for SwiftNIO: the cache's eviction queue.
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Transport",
            dependencies: [
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Store",
            dependencies: [
                "ReturnsCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the session's binding and stepping (SQLiteSession.swift).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                "CSQLite",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Tracking",
            dependencies: [
                .product(name: "Prometheus", package: "swift-prometheus"),
                "ReturnsCore", "Carriers", "Store", "Transport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Disputes",
            dependencies: [
                .product(name: "Prometheus", package: "swift-prometheus"),
                "ReturnsCore", "Store", "Transport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "API",
            dependencies: [
                "ReturnsCore", "Carriers", "Labels", "Store", "Transport", "Disputes", "Tracking",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                // Already built for Hummingbird: its parser's errors, to answer them in JSON.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Configuration", package: "swift-configuration"),
                // Already built for Configuration's YAML and Carriers: the file's own keys, to refuse unknown ones.
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "returnd",
            dependencies: [
                "API", "Transport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "returnctl",
            dependencies: [
                "API", "Store", "Labels", "Carriers", "Tracking", "Transport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // Benchmarks: executables, not tests (bench/labels runs this one), and what they share.
        .target(name: "BenchSupport", path: "bench/BenchSupport", swiftSettings: strict),
        .executableTarget(
            name: "returnd-bench-labels",
            dependencies: ["BenchSupport", "Labels", "Carriers", "ReturnsCore"],
            path: "bench/LabelsBenchmark",
            swiftSettings: strict
        ),

        .executableTarget(
            name: "returnd-bench-tracking",
            dependencies: ["BenchSupport", "Tracking", "Carriers", "Store", "Transport", "ReturnsCore", .product(name: "Logging", package: "swift-log")],
            path: "bench/TrackingBenchmark",
            swiftSettings: strict
        ),

        .executableTarget(
            name: "returnd-bench-receipts",
            dependencies: ["BenchSupport", "Store", "ReturnsCore"],
            path: "bench/ReceiptsBenchmark",
            swiftSettings: strict
        ),

        .executableTarget(
            name: "returnd-bench-stores",
            dependencies: ["BenchSupport", "Store", "ReturnsCore"],
            path: "bench/StoresBenchmark",
            swiftSettings: strict
        ),

        .testTarget(name: "ReturnsCoreTests", dependencies: ["ReturnsCore"], swiftSettings: strict),
        .testTarget(name: "CarriersTests", dependencies: ["Carriers", .product(name: "Yams", package: "Yams")], swiftSettings: strict),
        .testTarget(name: "LabelsTests", dependencies: ["Labels", "Carriers"], swiftSettings: strict),
        // What tests read of the logs; a target of its own so that every test target can use it.
        .target(name: "LogCapture", dependencies: [.product(name: "Logging", package: "swift-log")], path: "Tests/LogCapture", swiftSettings: strict),
        .testTarget(name: "StoreTests", dependencies: ["Store", "LogCapture", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
        .testTarget(
            name: "DisputesTests",
            dependencies: [
                "Disputes", "Store", "Transport", "LogCapture",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TrackingTests",
            dependencies: [
                "Tracking", "Carriers", "Store", "Transport", "LogCapture",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TransportTests",
            dependencies: [
                "Transport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "APITests",
            dependencies: [
                "API", "Carriers", "Disputes", "Tracking", "Transport", "LogCapture",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                // Already built for Hummingbird: a connection's handlers run on an EmbeddedChannel.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strict
        ),
    ]
)
