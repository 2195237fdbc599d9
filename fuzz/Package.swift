// swift-tools-version: 6.1
// libFuzzer targets for the parsers that read what strangers send: QR payloads and typed return
// codes (kiosks), carrier tracking answers and the JSON reader under them, carrier YAML files, returnd.yaml; request dates; the dispute event written by hand; the stored buyer read back by hand; and labels drawn from a buyer's text. Built by `scripts/fuzz-parsers`
// with `swift build --sanitize=fuzzer`; each executable's main is libFuzzer's.
import PackageDescription

let fuzzTarget: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // No top-level code: libFuzzer supplies main and calls LLVMFuzzerTestOneInput.
    .unsafeFlags(["-parse-as-library"]),
]

let package = Package(
    name: "returnd-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "returnd", path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzReturnCodes",
            dependencies: [.product(name: "ReturnsCore", package: "returnd")],
            swiftSettings: fuzzTarget),
        .executableTarget(
            name: "FuzzCarrierResponses",
            dependencies: [.product(name: "Carriers", package: "returnd"), .product(name: "Transport", package: "returnd")],
            swiftSettings: fuzzTarget),
        .executableTarget(
            name: "FuzzCarrierJSON",
            dependencies: [.product(name: "Carriers", package: "returnd")],
            swiftSettings: fuzzTarget),
        .executableTarget(
            name: "FuzzCarrierFiles",
            dependencies: [.product(name: "Carriers", package: "returnd")],
            swiftSettings: fuzzTarget),
        .executableTarget(
            name: "FuzzStoredBuyers",
            dependencies: [.product(name: "ReturnsCore", package: "returnd")],
            swiftSettings: fuzzTarget),
        .executableTarget(
            name: "FuzzRequestDates",
            dependencies: [.product(name: "ReturnsCore", package: "returnd")],
            swiftSettings: fuzzTarget),
        .executableTarget(
            name: "FuzzDisputeEvents",
            dependencies: [.product(name: "ReturnsCore", package: "returnd")],
            swiftSettings: fuzzTarget),
        .executableTarget(
            name: "FuzzLabels",
            dependencies: [.product(name: "Labels", package: "returnd"), .product(name: "Carriers", package: "returnd")],
            swiftSettings: fuzzTarget),
        .executableTarget(
            name: "FuzzConfiguration",
            dependencies: [.product(name: "API", package: "returnd")],
            swiftSettings: fuzzTarget),
    ]
)
