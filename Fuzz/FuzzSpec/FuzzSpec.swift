import FuzzTargets

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  FuzzTarget.spec.fuzz(data, size)
}

#if FUZZING
  @_cdecl("FuzzSpec_main")
  public func fuzzerMain(_ argc: CInt, _ argv: FuzzArgv?) -> CInt {
    runFuzzer(argc, argv, testOneInput)
  }
#else
  @main
  enum Replay {
    static func main() { FuzzTarget.spec.replayMain() }
  }
#endif
