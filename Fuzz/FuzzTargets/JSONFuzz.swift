import OVSDB

extension FuzzTarget {
  /// The frame scanner and the JSON parser, on bytes as a server might send them:
  /// - the frames found are the same whether the bytes arrive at once or in pieces of 1–16 bytes;
  /// - every value the parser accepts writes back to bytes that parse to the same value;
  /// - a message InboundMessage accepts has payloads (kept raw, "validated") that parse.
  public static let json = FuzzTarget(name: "json") { input throws(FuzzFailure) in
    if let value = try? JSONParser.parse(input) { try JSONFuzz.roundTrip(value) }

    let whole = JSONFuzz.frames(input, pieces: [input.count])
    var sizes: [Int] = []
    var total = 0
    var index = 0
    while total < input.count {
      let size = 1 + Int(input[index % input.count] % 16)
      sizes.append(size)
      total += size
      index += 7
    }
    let split = JSONFuzz.frames(input, pieces: sizes)
    guard whole == split else {
      throw FuzzFailure("framing differs when split: whole \(whole), split \(split)")
    }
    for frame in whole.frames {
      if let value = try? JSONParser.parse(frame) { try JSONFuzz.roundTrip(value) }
      let message: InboundMessage
      do {
        message = try frame.withUnsafeBytes { bytes throws(OVSDBError) in
          try InboundMessage(bytes: bytes, maxDepth: JSONFuzz.maxDepth)
        }
      } catch {
        continue
      }
      let payloads: [RawJSON]
      switch message {
      case .request(_, _, let params), .notification(_, let params): payloads = [params]
      case .response(_, let result, _): payloads = [result]
      }
      for raw in payloads {
        do {
          try JSONFuzz.roundTrip(try raw.parse())
        } catch let error as FuzzFailure {
          throw error
        } catch {
          throw FuzzFailure("a payload InboundMessage kept as validated does not parse: \(error): \(raw)")
        }
      }
    }
  }
}

enum JSONFuzz {
  static let maxDepth = 64
  /// Small, so inputs reach the limit.
  static let maxMessageBytes = 1024

  struct Framing: Equatable, CustomStringConvertible {
    var frames: [[UInt8]] = []
    var error: JSONFrameScanner.ScanError?
    var insideMessage = false

    var description: String {
      "\(frames.map { String(decoding: $0, as: UTF8.self) }) error \(String(describing: error)) inside \(insideMessage)"
    }
  }

  /// What RPCFrameDecoder does with a stream arriving in pieces of the given sizes: each piece is
  /// appended to the unconsumed bytes, which are scanned from where the last scan stopped.
  static func frames(_ input: UnsafeRawBufferPointer, pieces: [Int]) -> Framing {
    var scanner = JSONFrameScanner(maxMessageBytes: maxMessageBytes, maxDepth: maxDepth)
    var result = Framing()
    var pending: [UInt8] = []
    var scanned = 0
    var offset = 0
    for size in pieces where offset < input.count {
      let end = min(offset + size, input.count)
      pending += input[offset..<end]
      offset = end
      while true {
        let from = scanned
        let outcome = pending.withUnsafeBytes { bytes in
          Result { () throws(JSONFrameScanner.ScanError) in try scanner.scan(bytes, from: from) }
        }
        let found: Range<Int>?
        switch outcome {
        case .success(let range): found = range
        case .failure(let error):
          result.error = error
          return result
        }
        guard let range = found else {
          scanned = pending.count
          break
        }
        result.frames.append(Array(pending[range]))
        pending.removeFirst(range.upperBound)
        scanned = 0
      }
    }
    result.insideMessage = scanner.isInsideMessage
    return result
  }

  /// Writing a parsed value and parsing that gives the same value.
  static func roundTrip(_ value: JSON) throws(FuzzFailure) {
    var writer = JSONWriter()
    writer.write(value)
    let again: JSON
    do {
      again = try JSONParser.parse(writer.bytes)
    } catch {
      throw FuzzFailure("written JSON does not parse (\(error)): \(writer.string)")
    }
    guard same(again, value) else { throw FuzzFailure("round trip changed \(value) into \(again)") }
  }

  /// Equal values, numbers compared by value: as in Open vSwitch, `0.0` reads back as the integer
  /// 0 while an underflow such as `5e-999` is the real 0, and both mean zero.
  static func same(_ a: JSON, _ b: JSON) -> Bool {
    switch (a, b) {
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(exactly: x) == y
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.object(let x), .object(let y)):
      return x.count == y.count && x.allSatisfy { key, value in y[key].map { same(value, $0) } ?? false }
    default: return a == b
    }
  }
}
