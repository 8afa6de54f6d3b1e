import Testing

@testable import OVSDB

/// A decoded row (`RowValues`) reads like the dictionary it replaced: a column once, its last
/// value when the server named it twice, equal whatever the order of its columns.
@Suite struct RowValuesTests {
  let u = "09cad6a7-489b-42f4-883a-d710ad96c50e"

  func insertedRow(_ members: String) throws -> RowValues {
    let schema = try #require(ValueTests.portSchema)
    let text = #"{"Port":{"\#(u)":{"initial":{\#(members)}}}}"#
    let updates = try TableUpdates(raw: RawJSON(validated: Array(text.utf8)), version2: true, schema: schema)
    guard case .insert(let row) = try #require(updates.tables["Port"]?.first).change else {
      throw RowValuesTestFailure.notAnInsert
    }
    return row
  }

  enum RowValuesTestFailure: Error { case notAnInsert }

  @Test func aColumnNamedTwiceKeepsItsLastValueOnce() throws {
    let row = try insertedRow(#""name":"a","tag":1,"name":"b""#)
    #expect(row["name"] == "b")
    #expect(row.count == 2)
    #expect(row.map(\.key).sorted() == ["name", "tag"])
    #expect(row.dictionary == ["name": "b", "tag": 1])
  }

  /// Past the 64th distinct key of a table (unknown columns count too), repeats are found by
  /// scanning the row.
  @Test func aColumnNamedTwicePastTheSixtyFourthKey() throws {
    let unknown = (0..<70).map { #""x\#($0)":\#($0)"# }.joined(separator: ",")
    let row = try insertedRow(unknown + #","name":"a","tag":1,"name":"b","tag":2"#)
    #expect(row == ["name": "b", "tag": 2])
    #expect(row.count == 2)
  }

  @Test func readsLikeADictionary() {
    let row: RowValues = ["name": "p", "tag": 5, "trunks": .set([1, 2])]
    #expect(row == RowValues(["trunks": .set([1, 2]), "tag": 5, "name": "p"]))
    #expect(row != ["name": "p", "tag": 6, "trunks": .set([1, 2])])
    #expect(row != ["name": "p", "tag": 5])
    #expect(row["tag"] == 5)
    #expect(row["qos"] == nil)
    #expect(row.dictionary == ["name": "p", "tag": 5, "trunks": .set([1, 2])])
    #expect(RowValues([:]).isEmpty)
    #expect(row.description == row.dictionary.description)
  }
}
