// Direct UTF-8 encoding of OVSDB values and operations, with no intermediate JSON tree: requests
// are on the hot path of every command and of the benchmark against the raw server floor.

extension JSONWriter {
  public mutating func write(_ atom: Atom) {
    switch atom {
    case .integer(let v): writeInteger(v)
    case .real(let v): writeDouble(v)
    case .boolean(let v): writeRaw(v ? "true" : "false")
    case .string(let v): writeString(v)
    case .uuid(let v):
      writeRaw("[\"uuid\",\"")
      writeASCII(v.description)
      writeRaw("\"]")
    case .namedUUID(let v):
      writeRaw("[\"named-uuid\",")
      writeString(v)
      writeRaw("]")
    }
  }

  public mutating func write(_ datum: Datum) {
    switch datum.storage {
    case .single(let atom):
      write(atom)
    case .empty:
      writeRaw("[\"set\",[]]")
    case .many(let atoms):
      writeRaw("[\"set\",[")
      for (i, atom) in atoms.enumerated() {
        if i > 0 { writeRaw(",") }
        write(atom)
      }
      writeRaw("]]")
    case .map(let keys, let values):
      writeRaw("[\"map\",[")
      for i in keys.indices {
        if i > 0 { writeRaw(",") }
        writeRaw("[")
        write(keys[i])
        writeRaw(",")
        write(values[i])
        writeRaw("]")
      }
      writeRaw("]]")
    }
  }

  /// `{"col":value,…}` in the dictionary's order (sorting every row would cost more than the
  /// server's parsing of it; printed plans sort for themselves).
  public mutating func write(row: [String: Datum]) {
    writeRaw("{")
    var first = true
    for (column, value) in row {
      if !first { writeRaw(",") }
      first = false
      writeString(column)
      writeRaw(":")
      write(value)
    }
    writeRaw("}")
  }

  mutating func writeASCII(_ text: String) {
    var text = text
    text.withUTF8 { appendBytes($0) }
  }
}
