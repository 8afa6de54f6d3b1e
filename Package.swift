// swift-tools-version: 6.0
import PackageDescription

// Layers, lowest first: OVSDB → VSwitch → OVSVirt → ovsvirt, and CLibvirt → Libvirt, CLibXML2 → VirtXML.
// A lower layer never imports a higher one (see ../shared/design.md).
// The executable's generic types are instantiated by direct metadata accessors, not from mangled
// names: a mangled-name instantiation checks the type's generic requirements by conformance lookup,
// and each first lookup of a process scans the binary's ~7,300 conformance records (~0.4 M
// instructions each, measured with callgrind). Only for the executable: a library product with
// unsafe flags could not be used by a package depending on ovsvirt by version.
let directMetadata: [SwiftSetting] = [
  .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"])
]

let package = Package(
  name: "ovsvirt",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "ovsvirt", targets: ["ovsvirt"]),
    .library(name: "OVSDB", targets: ["OVSDB"]),
    .library(name: "VSwitch", targets: ["VSwitch"]),
    .library(name: "Libvirt", targets: ["Libvirt"]),
    .library(name: "VirtXML", targets: ["VirtXML"]),
    .library(name: "OVSVirt", targets: ["OVSVirt"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
  ],
  targets: [
    // The frame scanner's inner loop, 16 bytes at a time with SSE2 (see its header).
    .target(name: "CJSONFrame"),
    .target(
      name: "OVSDB",
      dependencies: [
        "CJSONFrame",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOTLS", package: "swift-nio"),
      ]
    ),
    .target(name: "VSwitch", dependencies: ["OVSDB"]),
    // Headers only (they are in /usr/include): libvirt itself is dlopen'ed on first use, see
    // Sources/Libvirt/LibvirtLibrary.swift. Naming pkgConfig here would link it into every binary.
    .systemLibrary(
      name: "CLibvirt",
      providers: [.apt(["libvirt-dev"])]
    ),
    .target(name: "Libvirt", dependencies: ["CLibvirt"]),
    // glibc's <malloc.h> (mallopt), for a one-shot read's memory policy (ProcessLifetime).
    .systemLibrary(name: "CMalloc"),
    // libxml2 and libyaml: their headers (libxml2-dev, libyaml-dev), and a loader that opens the
    // library on first use, as Libvirt does for libvirt. Linked, they were loaded and relocated at
    // every start (libxml2 with ICU, zlib and liblzma: ~1.1 M instructions before main), OVS-only
    // commands included. Sources/CLibXML2/include/libxml links to /usr/include/libxml2/libxml, the
    // directory pkg-config names, whose libs flag would link the library.
    .target(name: "CLibXML2"),
    .target(name: "CYAML"),
    .target(
      name: "VirtXML",
      dependencies: ["CLibXML2", .product(name: "Mustache", package: "swift-mustache")]
    ),
    .target(
      name: "OVSVirt",
      dependencies: [
        "OVSDB", "VSwitch", "Libvirt", "VirtXML", "CYAML",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ]
    ),
    .executableTarget(
      name: "ovsvirt",
      dependencies: [
        "OVSVirt", "OVSDB", "VSwitch", "Libvirt", "VirtXML", "CMalloc",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      swiftSettings: directMetadata,
      // Relative relocations packed (DT_RELR, glibc ≥ 2.36): the loader reads a few KB instead of
      // 2.4 MB of .rela.dyn at every start; the binary stays position-independent. The toolchain's
      // lld packs them (gold, swiftc's default here, cannot). Symbols not exported: 19,061 dynamic
      // symbols (the static Swift runtime and Foundation) made the runtime's start-up dladdr walk
      // them all (0.57 M instructions) and weighed on every symbol the loader looked up; 530 remain.
      // libstdc++ linked statically: Linker/static-libstdc++/libstdc++.so, found first in the
      // library path, is a linker script naming GCC's libstdc++.a (why: see that file).
      // Position-dependent (-no-pie): as a PIE, the loader applies ~106,000 relative relocations
      // (absolute pointers in the static runtime's and Foundation's type metadata) at every start,
      // writing to ~320 pages of .data.rel.ro and .data, each a copy-on-write fault: 514 faults and
      // 3.5 ms for `--version` against 221 and 1.95 ms without (perf stat, this machine). The
      // price is a fixed address for the executable's own image (libraries, stack, heap and mmap
      // stay randomized); OVSVIRT_PIE=1 at build time keeps the PIE for those who prefer it.
      // The code start-up and the one-shot commands run laid out first and together
      // (Linker/startup-order.txt, made by scripts/startup-order): `port set` touched 105 64 KB
      // windows of .text, each a page fault, and touches 50; a name the file lists that a build
      // lacks (a debug build lacks most) is skipped without a warning.
      linkerSettings: [
        .unsafeFlags(
          [
            "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic",
            "-L", Context.packageDirectory + "/Linker/static-libstdc++",
            "-Xlinker", "--symbol-ordering-file=" + Context.packageDirectory + "/Linker/startup-order.txt",
            "-Xlinker", "--no-warn-symbol-ordering",
          ] + (Context.environment["OVSVIRT_PIE"] == "1" ? [] : ["-Xclang-linker", "-no-pie"])
        )
      ]
    ),
    .executableTarget(
      name: "ovsdb-bench",
      dependencies: ["OVSDB"],
      path: "Benchmarks/OVSDBBench"
    ),
    // Fuzzing (scripts/fuzz): the bodies live in FuzzTargets, which the replay tests also use; each
    // executable is libFuzzer's entry with -DFUZZING, else it replays the files it is given.
    .target(name: "FuzzTargets", dependencies: ["OVSDB", "OVSVirt", "VirtXML"], path: "Fuzz/FuzzTargets"),
    .executableTarget(name: "FuzzJSON", dependencies: ["FuzzTargets"], path: "Fuzz/FuzzJSON"),
    .executableTarget(name: "FuzzUpdates", dependencies: ["FuzzTargets"], path: "Fuzz/FuzzUpdates"),
    .executableTarget(name: "FuzzSpec", dependencies: ["FuzzTargets"], path: "Fuzz/FuzzSpec"),
    .executableTarget(name: "FuzzXML", dependencies: ["FuzzTargets"], path: "Fuzz/FuzzXML"),
    .target(
      name: "TestSupport",
      dependencies: [
        "OVSDB", "VSwitch", "OVSVirt",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
      ],
      path: "Tests/TestSupport"
    ),
    // Fixtures/ is test data read from the source tree (origins in its README files).
    .testTarget(name: "OVSDBTests", dependencies: ["OVSDB", "TestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "VSwitchTests", dependencies: ["VSwitch", "OVSDB", "TestSupport"]),
    // Corpus/ is test data the tests read from the source tree (origins in Corpus/SOURCES.md).
    .testTarget(
      name: "LibvirtTests", dependencies: ["Libvirt", "VirtXML", "OVSDB", "TestSupport"], exclude: ["Corpus"]),
    .testTarget(name: "VirtXMLTests", dependencies: ["VirtXML"]),
    .testTarget(
      name: "OVSVirtTests",
      dependencies: [
        "OVSVirt", "OVSDB", "VSwitch", "VirtXML", "Libvirt", "TestSupport",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
      ]),
    // Replays Fuzz/corpus/ and Fuzz/regressions/ through the fuzz targets' bodies.
    .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets"]),
    .testTarget(name: "SpecTests", dependencies: ["OVSVirt", "VSwitch", "VirtXML", "OVSDB", "TestSupport"]),
  ]
)
