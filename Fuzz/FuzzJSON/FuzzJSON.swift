import FuzzTargets

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  FuzzTarget.json.fuzz(data, size)
}

#if FUZZING
  @_cdecl("FuzzJSON_main")
  public func fuzzerMain(_ argc: CInt, _ argv: FuzzArgv?) -> CInt {
    runFuzzer(argc, argv, testOneInput)
  }
#else
  @main
  enum Replay {
    static func main() { FuzzTarget.json.replayMain() }
  }
#endif
