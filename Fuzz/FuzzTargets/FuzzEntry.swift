import Foundation

/// An invariant a fuzz body found broken (as opposed to input it refused, which is fine).
public struct FuzzFailure: Error, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// One fuzz target: what it is called on the command line, and its body.
public struct FuzzTarget: Sendable {
  public var name: String
  public var run: @Sendable (UnsafeRawBufferPointer) throws(FuzzFailure) -> Void

  public init(name: String, run: @escaping @Sendable (UnsafeRawBufferPointer) throws(FuzzFailure) -> Void) {
    self.name = name
    self.run = run
  }

  public static let all = [json, updates, spec, xml]

  /// Runs the body on libFuzzer's input; a broken invariant is a crash, which libFuzzer records.
  public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    do {
      try run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    } catch {
      fatalError("\(name): \(error)")
    }
    return 0
  }

  /// The files to replay for `paths`: each file, and every file directly in each directory, sorted.
  public static func inputFiles(_ paths: [String]) -> [String] {
    var files: [String] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
      if isDirectory.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        files += names.filter { !$0.hasPrefix(".") }.sorted().map { "\(path)/\($0)" }
      } else {
        files.append(path)
      }
    }
    return files
  }

  /// Runs the body on one file's bytes.
  public func replay(file: String) throws(FuzzFailure) {
    guard let data = FileManager.default.contents(atPath: file) else { throw FuzzFailure("cannot read \(file)") }
    let outcome = [UInt8](data).withUnsafeBytes { buffer in
      Result { () throws(FuzzFailure) in try run(buffer) }
    }
    if case .failure(let failure) = outcome { throw FuzzFailure("\(file): \(failure)") }
  }

  /// The entry of a fuzz executable built without `-DFUZZING`: replays the files and directories
  /// named on the command line (a seed corpus, a crash artifact), exit 1 when an invariant breaks.
  public func replayMain() -> Never {
    let paths = Array(CommandLine.arguments.dropFirst())
    guard !paths.isEmpty else {
      FileHandle.standardError.write(
        Data("usage: Fuzz\(name) FILE|DIR…  (replays inputs through the \(name) target)\n".utf8))
      exit(1)
    }
    var failures = 0
    let files = Self.inputFiles(paths)
    for file in files {
      do {
        try replay(file: file)
      } catch {
        failures += 1
        FileHandle.standardError.write(Data("\(error)\n".utf8))
      }
    }
    print("\(name): replayed \(files.count) inputs, \(failures) failures")
    exit(failures == 0 ? 0 : 1)
  }
}

#if FUZZING
  public typealias FuzzArgv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

  @_silgen_name("LLVMFuzzerRunDriver")
  private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<FuzzArgv?>,
    _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  /// SwiftPM links an executable with `main` = `<Module>_main`; with `-sanitize=fuzzer` that
  /// function is libFuzzer's driver, which calls `body` (the target's `LLVMFuzzerTestOneInput`).
  public func runFuzzer(
    _ argc: CInt, _ argv: FuzzArgv?, _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, body)
  }
#endif
