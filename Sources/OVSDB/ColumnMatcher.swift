/// Finds a table's column from the raw bytes of a row's key, without making a String or hashing
/// one. A monitor dump names the same few columns in every row, in the same order (ovsdb-server
/// walks its monitored columns in order), so the column after the last match is tried first and
/// nearly always is the one; the schema's dictionary is consulted once per column name per decode.
/// It also gathers each row's columns, in the order read.
struct ColumnMatcher {
  struct Entry {
    let key: [UInt8]
    /// The schema's own String, shared by every decoded row (no per-row copy).
    let name: String
    /// nil for a column the schema does not know: its values are skipped.
    let shape: ValueShape?
  }

  let table: TableSchema
  private(set) var entries: [Entry] = []
  /// The entry tried first for the next key.
  private var guess = 0
  /// The row being read, its columns in the order read (a fresh array per row: the row keeps it).
  private var cells: [RowValues.Cell] = []
  /// Columns in the last row, a good capacity for the next one.
  private var lastRowCount = 0
  /// The entries read so far in this row (bit `i` for entry `i`, entries 0–63).
  private var mask: UInt64 = 0

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
    mask = 0
    cells = []
    cells.reserveCapacity(lastRowCount)
  }

  /// The row being read has `value` for entry `index`; a column named twice in one row keeps its
  /// last value.
  mutating func found(_ index: Int, _ value: consuming Datum) {
    if index < 64 {
      let bit: UInt64 = 1 << UInt64(index)
      if mask & bit == 0 {
        mask |= bit
        cells.append((entries[index].name, value))
        return
      }
    }
    // Named before in this row (or past the 64th entry, which the mask does not track).
    let name = entries[index].name
    if let earlier = cells.lastIndex(where: { $0.key == name }) {
      cells[earlier].value = value
    } else {
      cells.append((name, value))
    }
  }

  /// The row read since `startRow` (whose `cells = []` leaves the row the array's only owner).
  mutating func endRow() -> RowValues {
    lastRowCount = cells.count
    return RowValues(cells: cells)
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
