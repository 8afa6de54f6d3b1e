import Foundation
import Mustache

/// The XML templates ovsvirt renders: the ones compiled in, or an admin's copies from a directory.
public struct Templates: Sendable {
  let sources: [String: String]

  /// The built-in templates (templates/ at build time).
  public static let embedded = Templates(sources: EmbeddedTemplates.all)

  init(sources: [String: String]) {
    self.sources = sources
  }

  /// Templates from `directory` (files NAME.mustache), falling back to the built-in ones for any
  /// the directory does not have.
  public init(directory: String) throws(XMLError) {
    var sources = EmbeddedTemplates.all
    let files: [String]
    do {
      files = try FileManager.default.contentsOfDirectory(atPath: directory)
    } catch {
      throw XMLError("cannot read templates directory \(directory): \(error.localizedDescription)")
    }
    for file in files where file.hasSuffix(".mustache") {
      guard let text = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8) else {
        throw XMLError("cannot read template \(directory)/\(file)")
      }
      sources[String(file.dropLast(".mustache".count))] = text
    }
    self.sources = sources
  }

  /// Renders template `name` with `context` (values XML-escaped) and checks the result is XML whose
  /// root element is `root`: a customised template cannot hand libvirt something malformed.
  func render(_ name: String, _ context: [String: Any], root: String) throws(XMLError) -> String {
    guard let source = sources[name] else { throw XMLError("no template named \(name)") }
    let template: MustacheTemplate
    do {
      template = try MustacheTemplate(string: source)
    } catch {
      throw XMLError("template \(name) does not parse: \(error)")
    }
    let text = template.render(context)
    let tree = try XMLTree(text)
    guard tree.root?.name == root else {
      throw XMLError("template \(name) rendered <\(tree.root?.name ?? "nothing")>, not <\(root)>")
    }
    return text
  }
}
