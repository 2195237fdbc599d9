@testable import Labels
import Testing

@Suite("The SVG's surface name")
struct SVGSurfaceNameTests {
    @Test("the SVG's surface is renamed only where cairo names it", arguments: [
        (#"<svg><g id="surface123456"><path/></g></svg>"#, #"<svg><g id="surface1"><path/></g></svg>"#),
        (#"<svg><g id="surface1"></g></svg>"#, #"<svg><g id="surface1"></g></svg>"#),
        (#"<svg><g id="surfaceX"></g></svg>"#, #"<svg><g id="surfaceX"></g></svg>"#),
        (#"<svg><g id="surface"#, #"<svg><g id="surface"#),
        (#"<svg><g id="surface42"#, #"<svg><g id="surface42"#),
        ("", ""),
    ])
    func svgSurfaceRenamed(input: String, expected: String) {
        var bytes = Array(input.utf8)
        CairoCanvas.numberFirstSurface(&bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
    }
}
