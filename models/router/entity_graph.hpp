#pragma once
/// Kong's admin entities (services, routes, plugins, upstreams, consumers) as
/// a dependency graph, answering: which routes' compiled form does one admin
/// write change? That set is what an incremental router has to rebuild,
/// where Kong 2.x rebuilds every route in every worker.
///
/// A route's compiled form consists of the route itself, its service, the
/// upstream its service's host names (if any), and the plugins that apply to
/// it. Graph (boost::adjacency_list): one vertex per entity plus one "global"
/// vertex; an edge X -> Y means "Y depends on X", so the routes a change of
/// X touches are the route vertices reachable from X (a breadth-first search
/// over these reverse-dependency edges):
///  - upstream U -> service S   when S.host equals U.name (Kong resolves a
///                              service's host through the upstream of that name);
///  - service S  -> route R     when R.service == S;
///  - global     -> route R     for every route (the global plugin chain);
///  - plugin P   -> its scope:  R when P.route == R (and P.service is unset or
///                              equals R.service; a route+service plugin whose
///                              route is on another service applies nowhere
///                              and has no edge), else S when only P.service
///                              is set, else the global vertex. P.consumer
///                              never narrows the routes: a consumer-scoped
///                              plugin changes the plugin chain compiled for
///                              every route in its route/service scope;
///  - consumer C -> plugin P    when P.consumer == C (deleting C deletes P).
///
/// Rules for affected_routes(change), each one BFS from the listed sources
/// (an update takes the union of the sources before and after it):
///  - route create / update / delete: the route itself.
///  - service create: none (no route can point to it yet). Update: its
///    routes. Delete: its routes. Kong refuses to delete a service that
///    routes still point to; so does apply() unless the change has
///    `cascade` set, in which case the service's routes are deleted with it
///    (and, as in Kong, the plugins scoped to any deleted entity).
///  - plugin create / update / delete: the routes it applies to (global or
///    consumer-only: all routes; per service: that service's routes; per
///    route: that route), before and after an update.
///  - upstream create / update / delete: the routes of the services whose
///    host names it, before and after (a rename moves it to other services).
///  - consumer create / update: none (consumers are looked up per request,
///    not compiled into routes). Delete: the routes its plugins applied to
///    (Kong deletes a consumer's plugins with it).
///
/// Ids are per kind, 1 or more (0 in a reference means "not set").
/// Errors are std::invalid_argument naming the entity kind and id: id 0,
/// creating an existing id, updating or deleting an unknown id, a reference
/// to an unknown entity (a dangling route.service, plugin.route,
/// plugin.service or plugin.consumer), an upstream name already used by
/// another upstream, and deleting a service with routes without cascade.

#include <boost/graph/adjacency_list.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace gwsim::router {

/// The entity kinds, in the order of the `entity` variant's alternatives.
enum class entity_kind : std::uint8_t { service, route, plugin, upstream, consumer };

/// "service", "route", ... as used in error messages.
[[nodiscard]] const char* entity_kind_name(entity_kind kind) noexcept;

/// A service; `host` may name an upstream (then traffic goes through it) or
/// be a plain host name.
struct service_entity {
  std::uint32_t id = 0;
  std::string host{};
};

/// A route pointing to at most one service (0: none). Its matching fields
/// live in router::route; here only the dependency matters.
struct route_entity {
  std::uint32_t id = 0;
  std::uint32_t service = 0;
};

/// A plugin instance; each of service, route, consumer is 0 when unset. All
/// three unset: a global plugin.
struct plugin_entity {
  std::uint32_t id = 0;
  std::string name{};
  std::uint32_t service = 0;
  std::uint32_t route = 0;
  std::uint32_t consumer = 0;
};

/// An upstream; upstream names are unique.
struct upstream_entity {
  std::uint32_t id = 0;
  std::string name{};
};

/// A consumer.
struct consumer_entity {
  std::uint32_t id = 0;
  std::string username{};
};

/// Any entity; the alternative index is its entity_kind.
using entity = std::variant<service_entity, route_entity, plugin_entity, upstream_entity, consumer_entity>;

/// The kind of an entity value.
[[nodiscard]] entity_kind kind_of(const entity& e) noexcept;
/// The id of an entity value.
[[nodiscard]] std::uint32_t id_of(const entity& e) noexcept;

/// One admin write. For create and update `value` is the new entity (its
/// kind and id are the change's); for remove only `kind`, `id` and
/// `cascade` count.
struct admin_change {
  enum class op_kind : std::uint8_t { create, update, remove };

  op_kind op = op_kind::create;
  entity_kind kind = entity_kind::route;
  std::uint32_t id = 0;
  entity value{};
  /// Service remove only: also delete the routes pointing to the service.
  bool cascade = false;

  /// Creates `e`.
  [[nodiscard]] static admin_change create(entity e) {
    return {op_kind::create, kind_of(e), id_of(e), std::move(e), false};
  }
  /// Replaces the entity with e's kind and id by `e`.
  [[nodiscard]] static admin_change update(entity e) {
    return {op_kind::update, kind_of(e), id_of(e), std::move(e), false};
  }
  /// Deletes entity `entity_id` of `entity_kind_`; `with_cascade` as `cascade`.
  [[nodiscard]] static admin_change remove(entity_kind entity_kind_, std::uint32_t entity_id,
                                           bool with_cascade = false) {
    return {op_kind::remove, entity_kind_, entity_id, entity{}, with_cascade};
  }
};

/// The entity graph; see the file comment for edges and rules.
class entity_graph {
 public:
  entity_graph();

  /// Shorthands for apply(admin_change::create(e)).
  void add_service(service_entity s);
  void add_route(route_entity r);
  void add_plugin(plugin_entity p);
  void add_upstream(upstream_entity u);
  void add_consumer(consumer_entity c);

  /// The ids of the routes whose compiled form `change` changes, sorted
  /// ascending, computed on the graph as it is (nothing is modified).
  /// Throws std::invalid_argument when `change` is invalid (see the file
  /// comment), naming the entity kind and id.
  [[nodiscard]] std::vector<std::uint32_t> affected_routes(const admin_change& change) const;

  /// affected_routes(change), then applies the change (with Kong's cascades).
  /// On error throws as affected_routes() does and changes nothing.
  std::vector<std::uint32_t> apply(const admin_change& change);

  /// Whether an entity of `kind` with `id` exists.
  [[nodiscard]] bool contains(entity_kind kind, std::uint32_t id) const;
  /// Number of entities of `kind`.
  [[nodiscard]] std::size_t count(entity_kind kind) const;
  /// All route ids, sorted.
  [[nodiscard]] std::vector<std::uint32_t> route_ids() const;
  /// Graph edges, for tests and reports.
  [[nodiscard]] std::size_t edge_count() const;

 private:
  struct vertex_info {
    entity_kind kind = entity_kind::route;
    std::uint32_t id = 0;
    bool alive = false;  ///< false for the global vertex and for freed vertices
  };
  using graph_type = boost::adjacency_list<boost::setS, boost::vecS, boost::bidirectionalS, vertex_info>;
  using vertex = graph_type::vertex_descriptor;

  void validate(const admin_change& change) const;
  void check_reference(const entity& owner, entity_kind kind, std::uint32_t id) const;
  [[nodiscard]] vertex vertex_of(entity_kind kind, std::uint32_t id) const;
  /// BFS from `sources` over dependency edges; the sorted route ids reached.
  [[nodiscard]] std::vector<std::uint32_t> reachable_routes(const std::vector<vertex>& sources) const;
  /// The vertices a plugin with attributes `p` would point to.
  [[nodiscard]] std::vector<vertex> plugin_targets(const plugin_entity& p) const;
  /// The services whose host is `name`.
  [[nodiscard]] std::vector<vertex> services_named(const std::string& name) const;

  vertex new_vertex(entity_kind kind, std::uint32_t id);
  void free_vertex(entity_kind kind, std::uint32_t id);
  void wire_plugin(const plugin_entity& p);
  void create(const entity& e);
  void update(const entity& e);
  void remove(entity_kind kind, std::uint32_t id, bool cascade);

  graph_type graph_;
  vertex global_;
  std::vector<vertex> free_vertices_;
  std::map<std::pair<entity_kind, std::uint32_t>, vertex> vertices_;
  std::map<std::uint32_t, service_entity> services_;
  std::map<std::uint32_t, route_entity> routes_;
  std::map<std::uint32_t, plugin_entity> plugins_;
  std::map<std::uint32_t, upstream_entity> upstreams_;
  std::map<std::uint32_t, consumer_entity> consumers_;
  std::map<std::string, std::uint32_t> upstream_by_name_;
};

}  // namespace gwsim::router
