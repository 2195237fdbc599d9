import API
import ArgumentParser
import Foundation
import Labels
import ReturnsCore

struct LabelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label", abstract: "Return labels.", subcommands: [Render.self])

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Render a parcel's label to a file (or stdout with -o -).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Parcel id, tracking number or return code.") var parcel: String
        @Option(help: "pdf, png, svg or zpl.") var format: String = "pdf"
        @Option(name: .shortAndLong, help: "Output file; - for standard output.") var output: String

        func validate() throws {
            guard LabelFormat(rawValue: format) != nil else { throw ValidationError("--format must be one of pdf, png, svg, zpl, not \(format)") }
        }

        func run() async throws {
            let (found, content) = try await options.withRuntime { runtime in
                let found = try await findParcel(parcel, runtime.store)
                if let labelled = found.labelOf {
                    throw CommandFailure(message: "parcel \(found.id) has no label of its own: it goes back under the used label of parcel \(labelled), tracking number \(found.trackingNumber) written on the package by hand")
                }
                let content: LabelContent
                do throws(APIError) { content = try runtime.labelContent(for: found) } catch { throw CommandFailure(message: error.message) }
                return (found, content)
            }
            let label = try LabelRenderer.renderUncached(content, format: LabelFormat(rawValue: format)!)
            if output == "-" {
                FileHandle.standardOutput.write(Data(label.bytes))
            } else {
                // Foundation's words for these ("The file doesn't exist") do not say which part is wrong.
                let url = URL(fileURLWithPath: output)
                var isFolder: ObjCBool = false
                let parent = url.deletingLastPathComponent().path
                guard FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder), isFolder.boolValue else {
                    throw CommandFailure(message: "cannot write \(output): no folder \(parent)")
                }
                if FileManager.default.fileExists(atPath: output, isDirectory: &isFolder), isFolder.boolValue {
                    throw CommandFailure(message: "cannot write \(output): it is a folder; name the label's file")
                }
                do { try Data(label.bytes).write(to: url) } catch {
                    throw CommandFailure(message: "cannot write \(output): \(error.localizedDescription)")
                }
                print("wrote \(output) (\(label.bytes.count) bytes, \(format)) for parcel \(found.id) \(found.trackingNumber)")
            }
            // Rendered still, for an operator or auditor asking what was printed; the API refuses it (410).
            if let why = found.closedReason(at: Date()) {
                FileHandle.standardError.write(Data("returnctl: note: return \(found.id) \(why): this label is void; do not hand it to a buyer\n".utf8))
            }
        }
    }
}
