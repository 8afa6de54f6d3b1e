/// Checks a spec's text before the YAML parser sees it, so that no file can make loading hang or
/// eat memory, and a bad byte is reported where it is.
///
/// - At most `maximumBytes`: a host spec is a few kilobytes; a huge file is a mistake (and the YAML
///   tree of one costs tens of times its size).
/// - No control characters but tab, line feed and carriage return (YAML forbids them; the parser
///   would report where it stopped, not where the byte is), and no line break but LF or CR LF (a
///   lone CR, NEL, LS or PS is a line break to YAML but not to editors, so lines would not match).
/// - No complex mapping keys: an explicit `? key`, or an alias used as a key. ovsvirt's keys are
///   plain words, and a key that is an alias of a nested anchor makes the parser compare trees that
///   grow tenfold per level (nine levels hang it for hours).
/// - At most `maximumAliases` alias references (`*name`): enough for any real spec's shared blocks.
enum SpecPreflight {
  static let maximumBytes = 4 << 20
  static let maximumAliases = 1000

  static func check(_ text: String, file: String) -> [SpecProblem] {
    var problems: [SpecProblem] = []
    func report(_ line: Int, _ column: Int, _ problem: String, _ fix: String) {
      problems.append(
        SpecProblem(
          location: SpecLocation(file: file, line: line, column: column), path: "", problem: problem, fix: fix))
    }
    if text.utf8.count > maximumBytes {
      report(
        1, 1, "the file has \(text.utf8.count) bytes; a spec has at most \(maximumBytes)",
        "check that this is the spec file (a host's spec is a few kilobytes)")
      return problems
    }
    var aliases = 0
    var line = 1
    // Split on the scalar: "\r\n" is one Character, so splitting the String would not split CRLF lines.
    for content in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
      defer { line += 1 }
      var column = 0
      var quote: Character?
      var previous: Character = " "
      var lineStart = true
      var scalars = Array(content)
      if scalars.last == "\r" { scalars.removeLast() }
      // Anywhere on the line, comments and quotes included.
      if let bad = scalars.firstIndex(where: Self.isForbidden) {
        let scalar = scalars[bad]
        report(line, bad + 1, Self.forbiddenProblem(scalar), Self.forbiddenFix(scalar))
        return problems
      }
      var index = 0
      while index < scalars.count {
        let scalar = scalars[index]
        column += 1
        defer {
          previous = Character(scalar)
          index += 1
        }
        let character = Character(scalar)
        if let open = quote {
          if character == open && (open == "'" || previous != "\\") { quote = nil }
          continue
        }
        if character == "#" && (previous == " " || previous == "\t" || column == 1) { break }
        if character == "\"" || character == "'" {
          if lineStart || " \t[{,:".contains(previous) { quote = character }
          lineStart = false
          continue
        }
        let blank = character == " " || character == "\t"
        // `? ` opens an explicit (complex) key, at the start of a block line or in a flow mapping.
        if character == "?",
          lineStart || "{,".contains(previous) || previous == " " && Self.onlyBlanksOrFlowOpeners(scalars[..<index]),
          index + 1 == scalars.count || scalars[index + 1] == " " || scalars[index + 1] == "\t"
        {
          report(
            line, column, "a complex mapping key (`? …`) is not supported",
            "write keys as plain words, as `name: value`")
          return problems
        }
        if character == "*" && (lineStart || " \t[{,:-".contains(previous)) {
          aliases += 1
          if aliases > maximumAliases {
            report(
              line, column, "more than \(maximumAliases) alias references (`*name`)",
              "write the shared settings out, or use fewer aliases")
            return problems
          }
          // An alias used as a key: `*name :` or `*name: ` (with a value after it).
          var end = index + 1
          while end < scalars.count, !" \t,[]{}".unicodeScalars.contains(scalars[end]) { end += 1 }
          var after = end
          while after < scalars.count, scalars[after] == " " || scalars[after] == "\t" { after += 1 }
          let nameEndsWithColon = end > index + 1 && scalars[end - 1] == ":"
          if (after < scalars.count && scalars[after] == ":") || nameEndsWithColon {
            report(
              line, column, "an alias used as a mapping key is not supported",
              "write the key as a plain word")
            return problems
          }
        }
        if !blank { lineStart = false }
      }
    }
    return problems
  }

  /// A control character other than tab (YAML forbids them), or a line break other than LF / CR LF:
  /// YAML also breaks lines at a lone CR, NEL, LS and PS, which editors show inside a line, so the
  /// parser's line numbers would not be the file's (found by fuzzing).
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

  /// Whether what precedes a position on its line is only indentation, `-` list markers or flow
  /// openers: where `? ` would be an explicit-key indicator.
  private static func onlyBlanksOrFlowOpeners(_ prefix: ArraySlice<Unicode.Scalar>) -> Bool {
    prefix.allSatisfy { " \t-[{,".unicodeScalars.contains($0) }
  }
}
