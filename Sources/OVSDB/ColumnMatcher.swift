/// Finds a table's column from the raw bytes of a row's key, without making a String or hashing
/// one. A monitor dump names the same few columns in every row, in the same order (ovsdb-server
/// walks its monitored columns in order), so the column after the last match is tried first and
/// nearly always is the one; the schema's dictionary is consulted once per column name per decode.
struct ColumnMatcher {
  struct Entry {
    let key: [UInt8]
    /// The schema's own String, shared by every decoded row (no per-row copy).
    let name: String
    /// nil for a column the schema does not know: its values are skipped.
    let shape: ValueShape?
  }

  /// A row already made with a set of columns, and where each of its columns sits in it: the
  /// next row with the same columns is a copy of it with the values replaced in place. Making each
  /// row's `[String: Datum]` afresh cost an allocation through the standard library's
  /// unspecialized path and a String hash per column (~38 M of the 94 M instructions of decoding a
  /// 10,000-port dump into rows, callgrind); a copy of a dictionary copies its buckets as they are.
  struct Template {
    /// Bit `i` set: entry `i` is a column of these rows.
    let mask: UInt64
    let row: [String: Datum]
    /// By entry index, the column's place in `row` (meaningful for the entries in `mask`).
    let positions: [Dictionary<String, Datum>.Index]
  }

  let table: TableSchema
  private(set) var entries: [Entry] = []
  /// The entry tried first for the next key.
  private var guess = 0
  /// Columns in the last row, a good capacity for the next one.
  private var lastRowCount = 0
  /// The values of the row being read, by entry index, in the order read: the first
  /// `valueCount` (the storage is reused from row to row; emptying it cost more than filling it).
  private var values: [(index: Int, value: Datum)] = []
  private var valueCount = 0
  /// The entries read so far in this row (bit `i` for entry `i`, entries 0–63).
  private var mask: UInt64 = 0
  /// The row can be made from a template: no entry past the 64th, none named twice.
  private var templated = true
  /// A few sets of columns (rows of a table mostly differ only in which default values the
  /// server left out).
  private var templates: [Template] = []
  static let maximumTemplates = 8

  init(_ table: TableSchema) {
    self.table = table
  }

  /// The index in `entries` of the column named by `key` (added on first sight).
  mutating func index(of key: UnsafeRawBufferPointer) -> Int {
    let count = entries.count
    if guess < count, Self.matches(entries[guess].key, key) {
      return advance(from: guess)
    }
    for i in 0..<count where i != guess && Self.matches(entries[i].key, key) {
      return advance(from: i)
    }
    let name = String(decoding: key, as: UTF8.self)
    let canonical = table.shapes.index(forKey: name).map { table.shapes.keys[$0] } ?? name
    entries.append(Entry(key: Array(key), name: canonical, shape: table.shapes[name]))
    return advance(from: count)
  }

  @inline(__always)
  private mutating func advance(from index: Int) -> Int {
    guess = index + 1
    return index
  }

  /// Starts a new row: its first key is most likely the column that opened the last one.
  mutating func startRow() {
    guess = 0
    valueCount = 0
    mask = 0
    templated = true
  }

  /// The row being read has `value` for entry `index`.
  mutating func found(_ index: Int, _ value: Datum) {
    if index < 64, mask & (1 << UInt64(index)) == 0 {
      mask |= 1 << UInt64(index)
    } else {
      templated = false
    }
    if valueCount < values.count {
      values[valueCount] = (index, value)
    } else {
      values.append((index, value))
    }
    valueCount += 1
  }

  /// The row read since `startRow`: a copy of the template with its columns, values replaced,
  /// or (the first row with these columns, which then becomes one) made column by column, a
  /// column named twice keeping its last value.
  mutating func row() -> [String: Datum] {
    defer { lastRowCount = valueCount }
    let read = values[..<valueCount]
    if templated, let template = templates.first(where: { $0.mask == mask }) {
      var row = template.row
      for (index, value) in read { row.values[template.positions[index]] = value }
      return row
    }
    var row = [String: Datum](minimumCapacity: max(lastRowCount, valueCount))
    for (index, value) in read { row[entries[index].name] = value }
    guard templated, templates.count < Self.maximumTemplates else { return row }
    var positions = [Dictionary<String, Datum>.Index](repeating: row.startIndex, count: entries.count)
    for (index, _) in read {
      guard let position = row.index(forKey: entries[index].name) else { return row }
      positions[index] = position
    }
    templates.append(Template(mask: mask, row: row, positions: positions))
    return row
  }

  @inline(__always)
  static func matches(_ known: [UInt8], _ key: UnsafeRawBufferPointer) -> Bool {
    guard known.count == key.count else { return false }
    return known.withUnsafeBytes { known in
      var i = 0
      while i < key.count {
        if known[i] != key[i] { return false }
        i += 1
      }
      return true
    }
  }
}
