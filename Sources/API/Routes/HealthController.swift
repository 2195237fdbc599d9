import Hummingbird

/// `/healthz`: the process answers. `/readyz`: and its store does too.
struct HealthController {
    let runtime: ReturndRuntime

    struct Status: Encodable {
        var status: String
        var detail: String?
    }

    func addRoutes(to router: Router<ReturndRequestContext>) {
        router.get("healthz") { _, _ in try Response.json(Status(status: "ok")) }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: try await runtime.metrics.scrape(runtime: runtime))))
        }
        router.get("readyz") { _, context in
            if runtime.isDraining {
                return try Response.json(Status(status: "draining", detail: "shutting down"), status: .serviceUnavailable)
            }
            do {
                try await runtime.store.ping()
                return try Response.json(Status(status: "ready"))
            } catch {
                context.logger.warning("store.unreachable", metadata: ["error": "\(error)"])
                return try Response.json(Status(status: "unavailable", detail: "store unreachable"), status: .serviceUnavailable)
            }
        }
    }
}
