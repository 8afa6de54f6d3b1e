import Foundation
import OVSDB
import Testing
import TestSupport

/// Leader-only clients of a real three-server clustered OVN_Northbound database (see
/// `PrivateCluster`), with ovn-nbctl as the oracle.
@Suite struct ClusterIntegrationTests {
  static let tables: [String: [String]?] = ["Logical_Switch": ["name"]]

  func options(deadline: Duration? = nil) -> ReplicaClient.Options {
    var options = ReplicaClient.Options()
    options.database = PrivateCluster.database
    options.probeInterval = nil
    options.connectTimeout = .seconds(5)
    options.callTimeout = .seconds(30)
    options.backoff = Backoff(initial: .milliseconds(50), maximum: .milliseconds(500))
    options.deadline = deadline.map { ContinuousClock.now + $0 }
    return options
  }

  func names(_ replica: Replica) -> [String] {
    replica.snapshot.rows("Logical_Switch").values.compactMap { $0["name"]?.scalar?.stringValue }.sorted()
  }

  @Test func replicaFindsTheLeaderAndFollowsItWhenItDies() async throws {
    let cluster = try await PrivateCluster.start()
    defer { cluster.stop() }
    let leader = try #require(cluster.leader())
    // The leader last: the client has to pass over both followers to reach it.
    let order = (0..<cluster.size).filter { $0 != leader } + [leader]
    let client = ReplicaClient(
      remote: order.map(cluster.remote).joined(separator: ","), tables: Self.tables, options: options())
    let replica = try await client.start()
    #expect(await client.currentRemote == cluster.remote(leader))
    _ = try await client.transact([.insert(table: "Logical_Switch", row: ["name": "ls-before"])])
    #expect(try cluster.nbctl("ls-list").contains("(ls-before)"))

    let killed = ContinuousClock.now
    cluster.kill(leader)
    // The session moves to whichever server the other two elect, resuming the monitor there.
    let back = await eventually(timeout: .seconds(30)) {
      let (syncs, connected) = (await client.syncCount, await client.isConnected)
      return syncs >= 2 && connected
    }
    #expect(back)
    let moved = killed.duration(to: .now)
    let now = await client.currentRemote
    #expect(now != cluster.remote(leader))
    #expect(cluster.leader().map(cluster.remote) == now)
    _ = try await client.transact([.insert(table: "Logical_Switch", row: ["name": "ls-after"])])
    #expect(await eventually { names(replica) == ["ls-after", "ls-before"] })
    let listed = try cluster.nbctl("ls-list")
    #expect(listed.contains("(ls-after)") && listed.contains("(ls-before)"), "\(listed)")
    print("cluster failover: leader killed → replica on the new leader in \(moved)")
    #expect(moved < .seconds(15), "took \(moved)")
    await client.close()
  }

  @Test func aLeaderHandingOverIsLeftThroughTheServerMonitor() async throws {
    // The leader leaves the cluster (handing the leadership over first) and its process stays up:
    // what moves the replica is `_Server` saying the server is no longer the leader.
    let cluster = try await PrivateCluster.start()
    defer { cluster.stop() }
    let leader = try #require(cluster.leader())
    let client = ReplicaClient(remote: cluster.remotes, tables: Self.tables, options: options())
    let replica = try await client.start()
    #expect(await client.currentRemote == cluster.remote(leader))
    try cluster.leave(leader)
    let moved = await eventually(timeout: .seconds(30)) {
      let (syncs, remote) = (await client.syncCount, await client.currentRemote)
      return syncs >= 2 && remote != cluster.remote(leader)
    }
    #expect(moved)
    #expect(await client.leadershipLosses == 1)
    #expect(cluster.isRunning(leader))
    _ = try await client.transact([.insert(table: "Logical_Switch", row: ["name": "ls-handed-over"])])
    #expect(await eventually { names(replica) == ["ls-handed-over"] })
    #expect(try cluster.nbctl("ls-list").contains("(ls-handed-over)"))
    await client.close()
  }

  @Test func onlyFollowersIsRefusedNamingEachRemote() async throws {
    let cluster = try await PrivateCluster.start()
    defer { cluster.stop() }
    let leader = try #require(cluster.leader())
    let followers = (0..<cluster.size).filter { $0 != leader }.map(cluster.remote)
    // A replica: `start` fails once each remote was tried, well within its deadline.
    let started = ContinuousClock.now
    let client = ReplicaClient(
      remote: followers.joined(separator: ","), tables: Self.tables, options: options(deadline: .seconds(10)))
    do {
      try await client.start()
      Issue.record("a replica was started on followers only")
    } catch OVSDBError.noUsableRemote(let reasons) {
      #expect(reasons == followers.map { "\($0): a follower, not the cluster leader" }, "\(reasons)")
    }
    #expect(started.duration(to: .now) < .seconds(10))
    await client.close()
    // A one-shot connection: the same verdict; with the leader listed too, it is the one used.
    do {
      let one = try await OVSDBClient.connect(followers.joined(separator: ","), leaderOnlyFor: PrivateCluster.database)
      await one.close()
      Issue.record("a one-shot connection was made to a follower")
    } catch OVSDBError.noUsableRemote(let reasons) {
      #expect(reasons.count == 2 && reasons.allSatisfy { $0.hasSuffix("a follower, not the cluster leader") })
    }
    let one = try await OVSDBClient.connect(cluster.remotes, leaderOnlyFor: PrivateCluster.database)
    #expect(one.rpc.endpoint.description == cluster.remote(leader))
    #expect(try await one.refusal(for: PrivateCluster.database, timeout: .seconds(5)) == nil)
    await one.close()
    // Not leader-only: a follower serves (it forwards writes to the leader).
    var any = options()
    any.leaderOnly = false
    let reader = ReplicaClient(remote: followers.joined(separator: ","), tables: Self.tables, options: any)
    try await reader.start()
    #expect(await reader.currentRemote == followers[0])
    await reader.close()
  }
}
