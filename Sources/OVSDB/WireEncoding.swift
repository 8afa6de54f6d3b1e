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

  /// `{"col":value,…}` with columns in sorted order, so identical rows encode identically.
  public mutating func write(row: [String: Datum]) {
    writeRaw("{")
    for (i, column) in row.keys.sorted().enumerated() {
      if i > 0 { writeRaw(",") }
      writeString(column)
      writeRaw(":")
      // `column` came from the row's own keys.
      write(row[column] ?? .empty)
    }
    writeRaw("}")
  }

  mutating func writeASCII(_ text: String) {
    var text = text
    text.withUTF8 { appendBytes($0) }
  }
}
