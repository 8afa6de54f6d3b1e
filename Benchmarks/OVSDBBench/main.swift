// Measures the OVSDB library against the raw server floor on the same database, for scripts/bench.
//
//   ovsdb-bench insert --db unix:PATH --ports N --trials K
//       prints per trial "library <s>" (OVSDBClient.transact), "raw <s>" (the same bytes on a bare
//       socket) and "replica <s>" (ReplicaClient.transact: schema-checked, tables monitored)
//   ovsdb-bench insert-each --db unix:PATH --bridge BR --prefix P --ports N
//       prints "floor <seconds per port>": one connection and one transaction per port, no client logic
//   ovsdb-bench dump-capture --db unix:PATH --out FILE [--populate N]
//       (after inserting a bridge with N ports) writes the raw bytes of a monitor_cond reply (the
//       initial dump) to FILE
//   ovsdb-bench decode --in FILE --trials K --schema PATH
//       prints "decode <seconds>" per trial: frame + validate + decode into the replica's value model
//       (--verbose: each step's share too)
import Foundation
import OVSDB

#if canImport(Glibc)
  import Glibc
#endif

struct BenchError: Error, CustomStringConvertible {
  var description: String
}

func argument(_ name: String, in args: [String]) throws -> String {
  guard let i = args.firstIndex(of: name), i + 1 < args.count else { throw BenchError(description: "missing \(name)") }
  return args[i + 1]
}

func seconds(_ d: Duration) -> Double {
  Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// The transaction of the benchmark: bridge `bridge` with `count` internal ports tagged 120.
func insertOperations(bridge: String, count: Int) -> [DBOperation] {
  var ops: [DBOperation] = []
  ops.reserveCapacity(count * 2 + 2)
  var ports: [Atom] = []
  ports.reserveCapacity(count)
  for i in 0..<count {
    let name = "bp\(i)"
    ops.append(
      .insert(table: "Interface", row: ["name": .scalar(.string(name)), "type": "internal"], uuidName: "i\(i)"))
    ops.append(
      .insert(
        table: "Port",
        row: ["name": .scalar(.string(name)), "tag": 120, "interfaces": .scalar(.namedUUID("i\(i)"))],
        uuidName: "p\(i)"))
    ports.append(.namedUUID("p\(i)"))
  }
  ops.append(.insert(table: "Bridge", row: ["name": .scalar(.string(bridge)), "ports": .set(ports)], uuidName: "br"))
  ops.append(
    .mutate(table: "Open_vSwitch", where: [], mutations: [Mutation("bridges", .insert, .set([.namedUUID("br")]))]))
  return ops
}

/// The exact request bytes the library sends for `operations` with JSON-RPC id `id`.
func requestBytes(_ operations: [DBOperation], id: Int64) -> [UInt8] {
  var writer = JSONWriter(reservingCapacity: operations.count * 128)
  writer.writeRaw("{\"id\":")
  writer.writeInteger(id)
  writer.writeRaw(",\"method\":\"transact\",\"params\":[\"Open_vSwitch\"")
  for op in operations {
    writer.writeRaw(",")
    writer.write(op)
  }
  writer.writeRaw("]}")
  return writer.bytes
}

/// Removes the benchmark bridge (its ports and interfaces go with it: unreferenced rows are
/// garbage-collected), so every trial starts from the same database.
func deleteBridge(_ client: OVSDBClient, _ bridge: String) async throws {
  let found = try await client.transact(
    "Open_vSwitch", [.select(table: "Bridge", where: [.equals("name", .string(bridge))], columns: ["_uuid"])])
  guard case .array(let pair)? = found.first?.rows?.first?["_uuid"], pair.count == 2,
    let uuid = pair[1].stringValue.flatMap(RowUUID.init)
  else { return }
  _ = try await client.transact(
    "Open_vSwitch",
    [.mutate(table: "Open_vSwitch", where: [], mutations: [Mutation("bridges", .delete, .scalar(.uuid(uuid)))])])
}

/// A connected blocking unix socket.
func openUnixSocket(_ path: String) throws -> Int32 {
  let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { throw BenchError(description: "socket failed") }
  var address = sockaddr_un()
  address.sun_family = sa_family_t(AF_UNIX)
  withUnsafeMutableBytes(of: &address.sun_path) { raw in
    for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
  }
  let connected = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
  }
  guard connected == 0 else {
    close(fd)
    throw BenchError(description: "connect \(path) failed")
  }
  return fd
}

/// Writes `request`, then reads until the framer sees the end of one message; returns its bytes.
func exchange(_ fd: Int32, _ request: [UInt8]) throws -> [UInt8] {
  var sent = 0
  while sent < request.count {
    let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard n > 0 else { throw BenchError(description: "write failed") }
    sent += n
  }
  var scanner = JSONFrameScanner()
  var buffer = [UInt8](repeating: 0, count: 1 << 20)
  var received: [UInt8] = []
  var scanned = 0
  while true {
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard n > 0 else { throw BenchError(description: "server closed") }
    received.append(contentsOf: buffer[0..<n])
    let from = scanned
    if let range = try received.withUnsafeBytes({ bytes throws(JSONFrameScanner.ScanError) in
      try scanner.scan(bytes, from: from)
    }) {
      return Array(received[range])
    }
    scanned = received.count
  }
}

/// The floor: the request written and the reply read on a blocking socket, framed but not parsed.
func rawRoundTrip(path: String, request: [UInt8]) throws -> Duration {
  let fd = try openUnixSocket(path)
  defer { close(fd) }
  let clock = ContinuousClock()
  let start = clock.now
  let reply = try exchange(fd, request)
  let elapsed = clock.now - start
  // Sanity: the floor must have committed like the library does.
  guard !String(decoding: reply, as: UTF8.self).contains("\"error\":\"") else {
    throw BenchError(description: "raw transaction failed: \(String(decoding: reply.prefix(300), as: UTF8.self))")
  }
  return elapsed
}

func insertBench(_ args: [String]) async throws {
  let remote = try argument("--db", in: args)
  let count = Int(try argument("--ports", in: args)) ?? 1000
  let trials = Int(try argument("--trials", in: args)) ?? 5
  guard case .unix(let path) = try Endpoint(remote) else { throw BenchError(description: "unix socket only") }
  let client = try await OVSDBClient.connect(remote)
  // The client an ovsvirt command uses: a replica of the tables it touches (as the Python IDL
  // keeps), schema-checked transactions.
  let replicaClient = ReplicaClient(
    remote: remote,
    tables: [
      "Open_vSwitch": ["bridges"], "Bridge": ["name", "ports"], "Port": ["name", "tag", "interfaces"],
      "Interface": ["name", "type"],
    ])
  _ = try await replicaClient.start()
  let clock = ContinuousClock()
  for trial in 0..<trials {
    let bridge = "bench\(trial)"
    let libraryStart = clock.now
    let results = try await client.transact("Open_vSwitch", insertOperations(bridge: bridge, count: count))
    let library = clock.now - libraryStart
    guard results.count == count * 2 + 2 else { throw BenchError(description: "short result") }
    try await deleteBridge(client, bridge)

    let request = requestBytes(insertOperations(bridge: bridge, count: count), id: 1)
    let raw = try rawRoundTrip(path: path, request: request)
    try await deleteBridge(client, bridge)
    let replicaStart = clock.now
    _ = try await replicaClient.transact(insertOperations(bridge: bridge, count: count))
    let replica = clock.now - replicaStart
    try await deleteBridge(client, bridge)
    print("library \(seconds(library))")
    print("raw \(seconds(raw))")
    print("replica \(seconds(replica))")
  }
  await replicaClient.close()
  await client.close()
}

/// The floor for one-port-per-command tools: for each port, a fresh connection, one transaction
/// adding it to `--bridge` (already there, its UUID looked up once beforehand), the reply framed.
func insertEach(_ args: [String]) async throws {
  let remote = try argument("--db", in: args)
  let count = Int(try argument("--ports", in: args)) ?? 100
  let bridge = try argument("--bridge", in: args)
  let prefix = try argument("--prefix", in: args)
  guard case .unix(let path) = try Endpoint(remote) else { throw BenchError(description: "unix socket only") }
  let client = try await OVSDBClient.connect(remote)
  let found = try await client.transact(
    "Open_vSwitch", [.select(table: "Bridge", where: [.equals("name", .string(bridge))], columns: ["_uuid"])])
  await client.close()
  guard case .array(let pair)? = found.first?.rows?.first?["_uuid"], pair.count == 2,
    let uuid = pair[1].stringValue.flatMap(RowUUID.init)
  else { throw BenchError(description: "bridge \(bridge) not found") }
  var total: Duration = .zero
  for i in 0..<count {
    let name = "\(prefix)\(i)"
    let ops: [DBOperation] = [
      .insert(table: "Interface", row: ["name": .scalar(.string(name))], uuidName: "i"),
      .insert(
        table: "Port", row: ["name": .scalar(.string(name)), "tag": 120, "interfaces": .scalar(.namedUUID("i"))],
        uuidName: "p"),
      .mutate(table: "Bridge", where: [.uuid(uuid)], mutations: [Mutation("ports", .insert, .set([.namedUUID("p")]))]),
    ]
    let request = requestBytes(ops, id: 1)
    let clock = ContinuousClock()
    let start = clock.now
    let fd = try openUnixSocket(path)
    _ = try exchange(fd, request)
    close(fd)
    total += clock.now - start
  }
  print("floor \(seconds(total) / Double(count))")
}

func dumpCapture(_ args: [String]) async throws {
  let remote = try argument("--db", in: args)
  let out = try argument("--out", in: args)
  guard case .unix(let path) = try Endpoint(remote) else { throw BenchError(description: "unix socket only") }
  if let populate = args.firstIndex(of: "--populate").flatMap({
    args.indices.contains($0 + 1) ? Int(args[$0 + 1]) : nil
  }) {
    let client = try await OVSDBClient.connect(remote)
    _ = try await client.transact("Open_vSwitch", insertOperations(bridge: "dump", count: populate))
    await client.close()
  }
  let request = Array(
    #"{"id":1,"method":"monitor_cond","params":["Open_vSwitch","dump",{"Bridge":[{"columns":["name","ports"]}],"Port":[{"columns":["name","tag","trunks","interfaces"]}],"Interface":[{"columns":["name","type","external_ids"]}]}]}"#
      .utf8)
  let fd = try openUnixSocket(path)
  defer { close(fd) }
  guard FileManager.default.createFile(atPath: out, contents: Data(try exchange(fd, request))) else {
    throw BenchError(description: "cannot write \(out)")
  }
}

func decodeBench(_ args: [String]) throws {
  let input = try argument("--in", in: args)
  let trials = Int(try argument("--trials", in: args)) ?? 5
  let schemaPath = try argument("--schema", in: args)
  guard let bytes = FileManager.default.contents(atPath: input).map(Array.init),
    let schemaBytes = FileManager.default.contents(atPath: schemaPath)
  else { throw BenchError(description: "cannot read inputs") }
  let schema = try DatabaseSchema(json: try JSONParser.parse(Array(schemaBytes)))
  let clock = ContinuousClock()
  for _ in 0..<trials {
    // The client's own path, from the bytes as read from the socket: the message framed (its end
    // found), validated and routed, then the result decoded into rows.
    let start = clock.now
    var scanner = JSONFrameScanner()
    let frame = try bytes.withUnsafeBytes { buffer throws(JSONFrameScanner.ScanError) in
      try scanner.scan(buffer, from: 0)
    }
    guard let frame else { throw BenchError(description: "no complete message in \(input)") }
    let framed = clock.now
    let message = try bytes.withUnsafeBytes { try InboundMessage(bytes: UnsafeRawBufferPointer(rebasing: $0[frame])) }
    guard case .response(_, let result, _) = message else { throw BenchError(description: "not a response") }
    let routed = clock.now
    let updates = try TableUpdates(raw: result, version2: true, schema: schema)
    let elapsed = clock.now - start
    guard (updates.tables["Port"]?.count ?? 0) > 0 else { throw BenchError(description: "empty dump") }
    print("decode \(seconds(elapsed))")
    if args.contains("--verbose") {
      print(
        "frame \(seconds(framed - start)) route \(seconds(routed - framed)) rows \(seconds(elapsed - (routed - start)))"
      )
    }
  }
}

let args = CommandLine.arguments
do {
  switch args.dropFirst().first {
  case "insert": try await insertBench(args)
  case "dump-capture": try await dumpCapture(args)
  case "insert-each": try await insertEach(args)
  case "decode": try decodeBench(args)
  default: throw BenchError(description: "usage: ovsdb-bench insert|dump-capture|decode …")
  }
} catch {
  FileHandle.standardError.write(Data("ovsdb-bench: \(error)\n".utf8))
  exit(1)
}
