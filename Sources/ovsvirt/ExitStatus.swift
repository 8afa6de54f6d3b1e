import Foundation
import OVSVirt

/// What the user sees of a failure, and the exit status: commands throw `CommandFailure`s (see
/// `SwitchSession.translate`) and `Main` reports each here, once, when the command has ended.
/// 1: refused, nothing changed; 2: could not be done (unreachable, timed out, conflict); 3: done
/// in part.
enum ExitStatus {
  /// Prints the failure's details, then its message, on stderr; returns the exit status.
  static func report(_ failure: CommandFailure) -> Int32 {
    var text = failure.details.map { "\($0)\n" }.joined()
    text += "ovsvirt: \(failure.message)\n"
    FileHandle.standardError.write(Data(text.utf8))
    return failure.kind.rawValue
  }
}
