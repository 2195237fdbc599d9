import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP routes of API v1 (openapi.yaml describes each).
public func buildRouter(runtime: ReturndRuntime, maxBodyBytes: Int = 1 << 20) -> Router<ReturndRequestContext> {
    // HEAD as GET without the body (RFC 9110): load balancers probe /healthz with it, and a
    // kiosk may ask a label's size and ETag.
    let router = Router(context: ReturndRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestLogMiddleware(metrics: runtime.metrics))
    let routes = RouteTable()
    router.add(middleware: ErrorMappingMiddleware(routes: routes))
    HealthController(runtime: runtime).addRoutes(to: router)
    let v1 = router.group("v1").add(middleware: BearerAuthMiddleware(store: runtime.store))
    ReturnController(runtime: runtime, maxBodyBytes: maxBodyBytes).addRoutes(to: v1)
    ParcelController(runtime: runtime).addRoutes(to: v1)
    ServicePointController(runtime: runtime).addRoutes(to: v1)
    KioskController(runtime: runtime).addRoutes(to: v1)
    WarehouseController(runtime: runtime, maxBodyBytes: maxBodyBytes).addRoutes(to: v1)
    routes.fill(router.routes.map { ($0.path.description, $0.method.rawValue) })
    return router
}

public func buildApplication(
    runtime: ReturndRuntime, host: String, port: Int, maxBodyBytes: Int = 1 << 20, idleTimeout: Duration = .seconds(30),
    requestHeadTimeout: Duration = .seconds(10), requestBodyTimeout: Duration = .seconds(60), maxConnections: ConnectionCap = ConnectionCap(1024),
    services: [any Service] = [], notifier: SystemdNotifier = SystemdNotifier()
) -> some ApplicationProtocol {
    let gauge = ConnectionGauge(cap: maxConnections, logger: runtime.logger, metrics: runtime.metrics)
    let headDeadline = TimeAmount(requestHeadTimeout), bodyDeadline = TimeAmount(requestBodyTimeout)
    return Application(
        router: buildRouter(runtime: runtime, maxBodyBytes: maxBodyBytes),
        // A client that goes quiet (or sends a request a byte at a time) loses its connection.
        server: .http1(configuration: .init(
            additionalChannelHandlers: [ConnectionGuardHandler(headDeadline: headDeadline, bodyDeadline: bodyDeadline, idleTimeout: TimeAmount(idleTimeout), gauge: gauge)],
            idleTimeout: TimeAmount(idleTimeout))),
        configuration: .init(address: .hostname(host, port: port), serverName: "returnd"),
        services: services,
        onServerRunning: { channel in
            // The store is migrated before the application is built; the port is bound now.
            notifier.notify("READY=1\nSTATUS=serving on \(channel.localAddress?.description ?? "?")")
            runtime.logger.notice("startup.ready", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
        },
        logger: runtime.logger)
}
