// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "asgard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "asgard", targets: ["asgard"]),
        .executable(name: "asgard-sample-app", targets: ["asgard-sample-app"]),
        .executable(name: "asgard-judge-bench", targets: ["asgard-judge-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(name: "AsgardCore"),
        .target(name: "AsgardAPI", dependencies: ["AsgardCore"]),
        .target(name: "AsgardCloud", dependencies: ["AsgardCore"]),
        .target(
            name: "AWSCloud",
            dependencies: [
                "AsgardCore",
                "AsgardCloud",
                "AsgardStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "AsgardEngine",
            dependencies: [
                "AsgardCore",
                "AsgardCloud",
                "AsgardStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "CLocalCloudShims"),
        // The system's zlib (Debian's zlib1g-dev), for gzipped list answers.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(
            name: "LocalCloud",
            dependencies: [
                "AsgardCore",
                "AsgardCloud",
                "AsgardStore",
                "CLocalCloudShims",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "LoadBalancerProxy",
            dependencies: [
                "AsgardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "AsgardStore",
            dependencies: [
                "AsgardCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The store several consoles share, on PostgreSQL.
        .target(
            name: "AsgardPostgres",
            dependencies: [
                "AsgardCore",
                "AsgardStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "AsgardServer",
            dependencies: [
                "AsgardCore",
                "AsgardPostgres",
                "AsgardCloud",
                "AsgardEngine",
                "AsgardStore",
                "AsgardAPI",
                "LocalCloud",
                "AWSCloud",
                "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "asgard",
            dependencies: [
                "AsgardCore",
                "AsgardAPI",
                "AsgardServer",
                "LoadBalancerProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .executableTarget(
            name: "asgard-sample-app",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The canary judge's throughput, for scripts/bench.
        .executableTarget(name: "asgard-judge-bench", dependencies: ["AsgardCore"]),
        .testTarget(name: "AsgardCoreTests", dependencies: ["AsgardCore"]),
        // What the test targets share: a moto server and a PostgreSQL server on free ports.
        .target(name: "AsgardTestSupport", path: "Tests/AsgardTestSupport"),
        .testTarget(name: "AWSCloudTests", dependencies: ["AWSCloud", "AsgardCore", "AsgardTestSupport"]),
        .testTarget(name: "LocalCloudTests", dependencies: ["LocalCloud"]),
        .testTarget(
            name: "LoadBalancerProxyTests",
            dependencies: ["LoadBalancerProxy", "AsgardCore", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "AsgardStoreTests",
            dependencies: ["AsgardStore", "AsgardPostgres", "AsgardTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "AsgardServerTests",
            dependencies: [
                "AsgardServer",
                "AsgardEngine",
                "LocalCloud",
                "AsgardAPI",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "AsgardEndToEndTests",
            dependencies: [
                "asgard",
                "asgard-sample-app",
                "AsgardCore",
                "AsgardAPI",
                "AsgardTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
