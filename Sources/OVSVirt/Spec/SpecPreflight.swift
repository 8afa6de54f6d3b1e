/// Checks a spec's bytes before the YAML parser sees them, so that a bad byte is reported where it
/// is, and what YAML would read differently from an editor never reaches the parser.
///
/// - At most `maximumBytes`: a host spec is a few kilobytes; a huge file is a mistake.
/// - UTF-8 only, and no control characters but tab, line feed and carriage return (YAML forbids
///   them; the parser would report where it stopped, not where the byte is), and no line break but
///   LF or CR LF (a lone CR, NEL, LS or PS is a line break to YAML but not to editors, so lines
///   would not match). Each reported at its line and column (in Unicode scalars, as libyaml counts).
/// - No complex mapping keys: an explicit `? key`, or an alias used as a key, found here on the text
///   so that such a key is named even in a document whose aliases the composer would refuse first
///   (`YAMLComposer` refuses any key that is not a scalar, exactly, and bounds aliases).
///
/// Works on the bytes in one pass with no copy: memory stays that of the file.
enum SpecPreflight {
  static let maximumBytes = 4 << 20

  static func check(_ bytes: UnsafeBufferPointer<UInt8>, file: String) -> [SpecProblem] {
    func problem(_ line: Int, _ column: Int, _ problem: String, _ fix: String) -> [SpecProblem] {
      [
        SpecProblem(
          location: SpecLocation(file: file, line: line, column: column), path: "", problem: problem, fix: fix)
      ]
    }
    if bytes.count > maximumBytes {
      return problem(
        1, 1, "the file has \(bytes.count) bytes; a spec has at most \(maximumBytes)",
        "check that this is the spec file (a host's spec is a few kilobytes)")
    }
    var line = 1
    var start = 0
    while start <= bytes.count {
      var end = start
      while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
      var content = end
      if content > start && bytes[content - 1] == UInt8(ascii: "\r") { content -= 1 }
      let lineBytes = UnsafeBufferPointer(rebasing: bytes[start..<content])
      if let bad = Self.badScalar(lineBytes) {
        return problem(line, bad.column, bad.problem, bad.fix)
      }
      if let key = Self.complexKey(lineBytes) {
        return problem(line, key.column, key.problem, key.fix)
      }
      line += 1
      start = end + 1
    }
    return []
  }

  /// The first byte sequence on a line that is not UTF-8, a control character other than tab, or
  /// a line break other than LF (found by fuzzing: YAML also breaks lines at a lone CR, NEL, LS and
  /// PS, which editors show inside a line, so the parser's line numbers would not be the file's).
  private static func badScalar(_ line: UnsafeBufferPointer<UInt8>) -> (column: Int, problem: String, fix: String)? {
    var column = 0
    var iterator = line.makeIterator()
    var decoder = Unicode.UTF8()
    while true {
      column += 1
      switch decoder.decode(&iterator) {
      case .emptyInput:
        return nil
      case .error:
        return (column, "a byte sequence that is not UTF-8", "save the file as UTF-8")
      case .scalarValue(let scalar):
        guard isForbidden(scalar) else { continue }
        return (column, forbiddenProblem(scalar), forbiddenFix(scalar))
      }
    }
  }

  /// An explicit key (`? …`) or an alias used as a key (`*name :`) outside quotes and comments.
  /// A line-by-line look at the text, as an editor would; columns count Unicode scalars.
  private static func complexKey(_ scalars: UnsafeBufferPointer<UInt8>) -> (column: Int, problem: String, fix: String)?
  {
    func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
    func isOneOf(_ byte: UInt8, _ set: StaticString) -> Bool {
      UnsafeBufferPointer(start: set.utf8Start, count: set.utf8CodeUnitCount).contains(byte)
    }
    var column = 0
    var quote: UInt8?
    var previous = UInt8(ascii: " ")
    var lineStart = true
    // Whether everything before `index` is indentation, `-` list markers or flow openers.
    var onlyOpeners = true
    // The end of an alias's name: nothing inside it starts anything (`*a:*b` is one name).
    var nameEnd = 0
    var index = 0
    while index < scalars.count {
      let byte = scalars[index]
      defer {
        previous = byte
        onlyOpeners = onlyOpeners && isOneOf(byte, " \t-[{,")
        index += 1
      }
      // A UTF-8 continuation byte is part of the scalar already counted; it matches no ASCII below.
      if byte & 0xC0 != 0x80 { column += 1 }
      if index < nameEnd { continue }
      if let open = quote {
        if byte == open && (open == UInt8(ascii: "'") || previous != UInt8(ascii: "\\")) { quote = nil }
        continue
      }
      if byte == UInt8(ascii: "#") && (isBlank(previous) || column == 1) { break }
      if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
        if lineStart || isOneOf(previous, " \t[{,:") { quote = byte }
        lineStart = false
        continue
      }
      // `? ` opens an explicit (complex) key, at the start of a block line or in a flow mapping.
      if byte == UInt8(ascii: "?"),
        lineStart || isOneOf(previous, "{,")
          || previous == UInt8(ascii: " ") && onlyOpeners,
        index + 1 == scalars.count || isBlank(scalars[index + 1])
      {
        return (column, "a complex mapping key (`? …`) is not supported", "write keys as plain words, as `name: value`")
      }
      if byte == UInt8(ascii: "*") && (lineStart || isOneOf(previous, " \t[{,:-")) {
        // An alias used as a key: `*name :` or `*name: ` (with a value after it).
        var end = index + 1
        while end < scalars.count, !isOneOf(scalars[end], " \t,[]{}") { end += 1 }
        var after = end
        while after < scalars.count, isBlank(scalars[after]) { after += 1 }
        let nameEndsWithColon = end > index + 1 && scalars[end - 1] == UInt8(ascii: ":")
        if (after < scalars.count && scalars[after] == UInt8(ascii: ":")) || nameEndsWithColon {
          return (column, "an alias used as a mapping key is not supported", "write the key as a plain word")
        }
        nameEnd = end
      }
      if !isBlank(byte) { lineStart = false }
    }
    return nil
  }

  /// A control character other than tab (YAML forbids them), or a line break other than LF / CR LF.
  private static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 && scalar != "\t" || scalar.value == 0x7F || scalar.value == 0x85
      || scalar.value == 0x2028 || scalar.value == 0x2029
  }

  private static func forbiddenProblem(_ scalar: Unicode.Scalar) -> String {
    let code = "U+\(String(scalar.value, radix: 16, uppercase: true))"
    switch scalar.value {
    case 0x0D: return "a carriage return not followed by a line feed (\(code)) is not allowed"
    case 0x85, 0x2028, 0x2029: return "a Unicode line break (\(code)) is not allowed"
    default: return "a control character (\(code)) is not allowed"
    }
  }

  private static func forbiddenFix(_ scalar: Unicode.Scalar) -> String {
    switch scalar.value {
    case 0x0D, 0x85, 0x2028, 0x2029: return "end lines with a line feed (or CR LF) only"
    default: return "remove it (YAML allows only tab, line feed and carriage return)"
    }
  }
}
