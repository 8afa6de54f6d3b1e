/// A row as a monitor update carries it: each column the server sent, with its value, in the
/// server's order, a column at most once.
///
/// Making each decoded row a `[String: Datum]` (a copied dictionary per row, its values written in
/// place) was the largest single cost of decoding a 10,000-port dump into rows (callgrind), and the
/// replica copies each row into a dictionary of its own anyway, with the columns the server left
/// out. A row is one small array instead; it reads like a dictionary: by column name (a scan of its
/// few columns), or column by column.
public struct RowValues: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
  public typealias Cell = (key: String, value: Datum)

  let cells: [Cell]

  /// `cells` name each column once.
  init(cells: [Cell]) {
    self.cells = cells
  }

  /// The columns of `row`, in no particular order.
  public init(_ row: [String: Datum]) {
    cells = row.map { ($0.key, $0.value) }
  }

  /// A column given twice keeps its last value (as a row decoded from JSON does).
  public init(dictionaryLiteral elements: (String, Datum)...) {
    self.init(Dictionary(elements, uniquingKeysWith: { $1 }))
  }

  public var count: Int { cells.count }

  public var isEmpty: Bool { cells.isEmpty }

  /// The value the server sent for `column`; nil when it sent none.
  public subscript(column: String) -> Datum? {
    for cell in cells where cell.key == column { return cell.value }
    return nil
  }

  /// The row as a dictionary.
  public var dictionary: [String: Datum] {
    Dictionary(cells.lazy.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
  }

  public func makeIterator() -> IndexingIterator<[Cell]> { cells.makeIterator() }

  public var underestimatedCount: Int { cells.count }

  /// The same columns with the same values, in any order.
  public static func == (a: RowValues, b: RowValues) -> Bool {
    a.count == b.count && a.cells.allSatisfy { b[$0.key] == $0.value }
  }

  public var description: String { dictionary.description }
}
