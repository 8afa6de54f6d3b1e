import Foundation
import OVSDB
import Testing

/// Open vSwitch's own JSON parser cases (tests/json.at, tests/ovsdb-data.at) and hostile extras,
/// from Fixtures/ovs-json-cases.json, a copy of the team's ../shared/testdata/ovs-json-cases.json
/// (Fixtures/ovs-json-cases.README.md describes the format and where the cases come from).
struct OVSJSONCase: Decodable, Sendable, CustomStringConvertible {
  var name: String
  var inputBytesBase64: String?
  /// Pieces repeated to make the input, for inputs too big to store.
  var generate: [Piece]?
  var valid: Bool
  /// OVS's printed result, an `error: …` line, or prose for the extras.
  var expected: String
  var expectedByImplementation: [String: String]?
  /// RFC 8259 and OVS disagree: accepting with the right value and refusing cleanly are both fine.
  var ambiguous: Bool
  /// `single`, `multiple` (a stream of values), or a stream mode of the extras.
  var mode: String

  struct Piece: Decodable, Sendable {
    var text: String
    var count: Int

    init(from decoder: any Decoder) throws {
      var container = try decoder.unkeyedContainer()
      text = try container.decode(String.self)
      count = try container.decode(Int.self)
    }
  }

  enum CodingKeys: String, CodingKey {
    case name, generate, valid, expected, ambiguous, mode
    case inputBytesBase64 = "input_bytes_base64"
    case expectedByImplementation = "expected_by_implementation"
  }

  var description: String { name }

  var input: [UInt8] {
    if let generate { return Array(generate.map { String(repeating: $0.text, count: $0.count) }.joined().utf8) }
    return inputBytesBase64.flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? []
  }

  /// The expected output as JSON text, when it is JSON: OVS's C parser prints doubles with 15
  /// digits, so Python's shortest round-trip form is used when the file has both.
  var expectedText: String { expectedByImplementation?["Python3"] ?? expected }

  /// A copy kept in the repository (Fixtures/, with its README): CI tests a clone on its own.
  static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/ovs-json-cases.json").path

  static func load() throws -> [OVSJSONCase] {
    guard let data = FileManager.default.contents(atPath: file) else {
      throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: file])
    }
    return try JSONDecoder().decode([OVSJSONCase].self, from: data)
  }
}

/// Foundation's reading of JSON text, as ovsvirt's JSON: an oracle independent of `JSONParser`, for
/// the cases whose expected result the file gives in prose ("the same value").
enum FoundationOracle {
  static func parse(_ bytes: [UInt8]) throws -> JSON {
    convert(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
  }

  static func convert(_ value: Any) -> JSON {
    switch value {
    case let string as String: return .string(string)
    case let array as [Any]: return .array(array.map(convert))
    case let object as [String: Any]: return .object(object.mapValues(convert))
    case let number as NSNumber:
      switch String(cString: number.objCType) {
      case "c", "B": return .bool(number.boolValue)
      case "f", "d": return .double(number.doubleValue)
      default: return .int(number.int64Value)
      }
    default: return .null
    }
  }
}

extension JSON {
  /// The same JSON value, numbers compared by their exact value whatever their kind: OVS prints a
  /// real that is a whole number as `2`, and reads `2.0` as the integer 2.
  func isEquivalent(to other: JSON) -> Bool {
    switch (self, other) {
    case (.int(let a), .int(let b)): return a == b
    case (.double(let a), .double(let b)): return a == b
    case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Int64(exactly: b) == a
    case (.array(let a), .array(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.isEquivalent(to: $1) }
    case (.object(let a), .object(let b)):
      return a.count == b.count && a.allSatisfy { key, value in b[key].map(value.isEquivalent) ?? false }
    default: return self == other
    }
  }
}
