#include "models/router/entity_graph.hpp"

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/properties.hpp>
#include <boost/property_map/property_map.hpp>

#include <algorithm>
#include <stdexcept>

namespace gwsim::router {

namespace {

std::string label(entity_kind kind, std::uint32_t id) {
  return std::string(entity_kind_name(kind)) + ' ' + std::to_string(id);
}

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

/// Records the route vertices a breadth-first search discovers.
template <class Graph>
class route_collector : public boost::default_bfs_visitor {
 public:
  explicit route_collector(std::vector<std::uint32_t>* out) : out_(out) {}

  void discover_vertex(typename Graph::vertex_descriptor v, const Graph& g) const {
    const auto& info = g[v];
    if (info.alive && info.kind == entity_kind::route) out_->push_back(info.id);
  }

 private:
  std::vector<std::uint32_t>* out_;
};

}  // namespace

const char* entity_kind_name(entity_kind kind) noexcept {
  switch (kind) {
    case entity_kind::service:
      return "service";
    case entity_kind::route:
      return "route";
    case entity_kind::plugin:
      return "plugin";
    case entity_kind::upstream:
      return "upstream";
    case entity_kind::consumer:
      return "consumer";
  }
  return "unknown entity kind";
}

entity_kind kind_of(const entity& e) noexcept { return static_cast<entity_kind>(e.index()); }

std::uint32_t id_of(const entity& e) noexcept {
  return std::visit([](const auto& x) { return x.id; }, e);
}

entity_graph::entity_graph() : global_(boost::add_vertex(vertex_info{}, graph_)) {}

void entity_graph::add_service(service_entity s) { apply(admin_change::create(std::move(s))); }
void entity_graph::add_route(route_entity r) { apply(admin_change::create(r)); }
void entity_graph::add_plugin(plugin_entity p) { apply(admin_change::create(std::move(p))); }
void entity_graph::add_upstream(upstream_entity u) { apply(admin_change::create(std::move(u))); }
void entity_graph::add_consumer(consumer_entity c) { apply(admin_change::create(std::move(c))); }

bool entity_graph::contains(entity_kind kind, std::uint32_t id) const { return vertices_.contains({kind, id}); }

std::size_t entity_graph::count(entity_kind kind) const {
  switch (kind) {
    case entity_kind::service:
      return services_.size();
    case entity_kind::route:
      return routes_.size();
    case entity_kind::plugin:
      return plugins_.size();
    case entity_kind::upstream:
      return upstreams_.size();
    case entity_kind::consumer:
      return consumers_.size();
  }
  return 0;
}

std::vector<std::uint32_t> entity_graph::route_ids() const {
  std::vector<std::uint32_t> ids;
  ids.reserve(routes_.size());
  for (const auto& [id, r] : routes_) ids.push_back(id);
  return ids;
}

std::size_t entity_graph::edge_count() const { return boost::num_edges(graph_); }

entity_graph::vertex entity_graph::vertex_of(entity_kind kind, std::uint32_t id) const {
  const auto it = vertices_.find({kind, id});
  if (it == vertices_.end()) fail("unknown " + label(kind, id));
  return it->second;
}

void entity_graph::check_reference(const entity& owner, entity_kind kind, std::uint32_t id) const {
  if (id != 0 && !contains(kind, id)) {
    fail(label(kind_of(owner), id_of(owner)) + " references unknown " + label(kind, id));
  }
}

void entity_graph::validate(const admin_change& change) const {
  const auto kind_index = static_cast<std::size_t>(change.kind);
  if (kind_index >= std::variant_size_v<entity>) {
    fail("entity kind " + std::to_string(kind_index) + " is not one of service, route, plugin, upstream, consumer");
  }
  if (change.id == 0) fail(label(change.kind, 0) + ": ids are 1 or more (0 means \"not set\")");
  const bool exists = contains(change.kind, change.id);

  if (change.op == admin_change::op_kind::remove) {
    if (!exists) fail("cannot delete unknown " + label(change.kind, change.id));
    if (change.kind == entity_kind::service && !change.cascade) {
      const vertex s = vertex_of(entity_kind::service, change.id);
      if (boost::out_degree(s, graph_) != 0) {
        std::string ids;
        for (const auto e : boost::make_iterator_range(boost::out_edges(s, graph_))) {
          ids += (ids.empty() ? "" : ", ") + std::to_string(graph_[boost::target(e, graph_)].id);
        }
        fail("cannot delete " + label(change.kind, change.id) + ": routes " + ids +
             " still point to it (delete them first, or delete with cascade)");
      }
    }
    return;
  }

  if (kind_of(change.value) != change.kind || id_of(change.value) != change.id) {
    fail("change names " + label(change.kind, change.id) + " but carries " +
         label(kind_of(change.value), id_of(change.value)));
  }
  if (change.op == admin_change::op_kind::create && exists) fail(label(change.kind, change.id) + " already exists");
  if (change.op == admin_change::op_kind::update && !exists) {
    fail("cannot update unknown " + label(change.kind, change.id));
  }

  const entity& e = change.value;
  if (const auto* r = std::get_if<route_entity>(&e)) {
    check_reference(e, entity_kind::service, r->service);
  } else if (const auto* p = std::get_if<plugin_entity>(&e)) {
    check_reference(e, entity_kind::service, p->service);
    check_reference(e, entity_kind::route, p->route);
    check_reference(e, entity_kind::consumer, p->consumer);
  } else if (const auto* u = std::get_if<upstream_entity>(&e)) {
    const auto it = upstream_by_name_.find(u->name);
    if (it != upstream_by_name_.end() && it->second != u->id) {
      fail(label(entity_kind::upstream, u->id) + ": name '" + u->name + "' is already used by " +
           label(entity_kind::upstream, it->second));
    }
  }
}

std::vector<std::uint32_t> entity_graph::reachable_routes(const std::vector<vertex>& sources) const {
  std::vector<std::uint32_t> ids;
  if (sources.empty()) return ids;
  std::vector<boost::default_color_type> colors(boost::num_vertices(graph_));
  boost::queue<vertex> queue;
  const auto color_map = boost::make_iterator_property_map(colors.begin(), boost::get(boost::vertex_index, graph_));
  boost::breadth_first_search(graph_, sources.begin(), sources.end(), queue, route_collector<graph_type>(&ids),
                              color_map);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<entity_graph::vertex> entity_graph::plugin_targets(const plugin_entity& p) const {
  if (p.route != 0) {
    const auto& r = routes_.at(p.route);
    if (p.service != 0 && r.service != p.service) return {};  /// route+service on another service: nowhere
    return {vertex_of(entity_kind::route, p.route)};
  }
  if (p.service != 0) return {vertex_of(entity_kind::service, p.service)};
  return {global_};
}

std::vector<entity_graph::vertex> entity_graph::services_named(const std::string& name) const {
  std::vector<vertex> out;
  for (const auto& [id, s] : services_) {
    if (s.host == name) out.push_back(vertex_of(entity_kind::service, id));
  }
  return out;
}

std::vector<std::uint32_t> entity_graph::affected_routes(const admin_change& change) const {
  validate(change);
  using op = admin_change::op_kind;
  std::vector<vertex> sources;
  /// Before the change: the entity's own vertex (update, remove). Consumers
  /// reach routes only through the plugins their deletion cascades to.
  if (change.op != op::create && (change.kind != entity_kind::consumer || change.op == op::remove)) {
    sources.push_back(vertex_of(change.kind, change.id));
  }
  /// After the change: the vertices the new value will point to. A route is
  /// its own target; a service keeps its routes (already a source on update,
  /// none on create); a consumer keeps its plugins (not routes' business).
  if (change.op != op::remove) {
    if (const auto* p = std::get_if<plugin_entity>(&change.value)) {
      const auto targets = plugin_targets(*p);
      sources.insert(sources.end(), targets.begin(), targets.end());
    } else if (const auto* u = std::get_if<upstream_entity>(&change.value)) {
      const auto targets = services_named(u->name);
      sources.insert(sources.end(), targets.begin(), targets.end());
    } else if (change.kind == entity_kind::route && change.op == op::create) {
      return {change.id};  /// a new route has no vertex yet and nothing depends on it
    }
  }
  std::sort(sources.begin(), sources.end());
  sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
  return reachable_routes(sources);
}

std::vector<std::uint32_t> entity_graph::apply(const admin_change& change) {
  std::vector<std::uint32_t> affected = affected_routes(change);  /// validates
  switch (change.op) {
    case admin_change::op_kind::create:
      create(change.value);
      break;
    case admin_change::op_kind::update:
      update(change.value);
      break;
    case admin_change::op_kind::remove:
      remove(change.kind, change.id, change.cascade);
      break;
  }
  return affected;
}

entity_graph::vertex entity_graph::new_vertex(entity_kind kind, std::uint32_t id) {
  vertex v;
  if (free_vertices_.empty()) {
    v = boost::add_vertex(graph_);
  } else {
    v = free_vertices_.back();
    free_vertices_.pop_back();
  }
  graph_[v] = vertex_info{kind, id, true};
  vertices_[{kind, id}] = v;
  return v;
}

void entity_graph::free_vertex(entity_kind kind, std::uint32_t id) {
  const vertex v = vertex_of(kind, id);
  boost::clear_vertex(v, graph_);
  graph_[v] = vertex_info{};
  vertices_.erase({kind, id});
  free_vertices_.push_back(v);
}

void entity_graph::wire_plugin(const plugin_entity& p) {
  const vertex v = vertex_of(entity_kind::plugin, p.id);
  boost::clear_vertex(v, graph_);
  for (const vertex t : plugin_targets(p)) boost::add_edge(v, t, graph_);
  if (p.consumer != 0) boost::add_edge(vertex_of(entity_kind::consumer, p.consumer), v, graph_);
}

void entity_graph::create(const entity& e) {
  const entity_kind kind = kind_of(e);
  const vertex v = new_vertex(kind, id_of(e));
  if (const auto* s = std::get_if<service_entity>(&e)) {
    services_[s->id] = *s;
    if (const auto it = upstream_by_name_.find(s->host); it != upstream_by_name_.end()) {
      boost::add_edge(vertex_of(entity_kind::upstream, it->second), v, graph_);
    }
  } else if (const auto* r = std::get_if<route_entity>(&e)) {
    routes_[r->id] = *r;
    boost::add_edge(global_, v, graph_);
    if (r->service != 0) boost::add_edge(vertex_of(entity_kind::service, r->service), v, graph_);
  } else if (const auto* p = std::get_if<plugin_entity>(&e)) {
    plugins_[p->id] = *p;
    wire_plugin(*p);
  } else if (const auto* u = std::get_if<upstream_entity>(&e)) {
    upstreams_[u->id] = *u;
    upstream_by_name_[u->name] = u->id;
    for (const vertex sv : services_named(u->name)) boost::add_edge(v, sv, graph_);
  } else if (const auto* c = std::get_if<consumer_entity>(&e)) {
    consumers_[c->id] = *c;
  }
}

void entity_graph::update(const entity& e) {
  const vertex v = vertex_of(kind_of(e), id_of(e));
  if (const auto* s = std::get_if<service_entity>(&e)) {
    /// Only the edge from the upstream it named changes; plugin edges stay.
    if (const auto old = upstream_by_name_.find(services_.at(s->id).host); old != upstream_by_name_.end()) {
      boost::remove_edge(vertex_of(entity_kind::upstream, old->second), v, graph_);
    }
    services_[s->id] = *s;
    if (const auto it = upstream_by_name_.find(s->host); it != upstream_by_name_.end()) {
      boost::add_edge(vertex_of(entity_kind::upstream, it->second), v, graph_);
    }
  } else if (const auto* r = std::get_if<route_entity>(&e)) {
    const std::uint32_t old_service = routes_.at(r->id).service;
    routes_[r->id] = *r;
    if (old_service != r->service) {
      if (old_service != 0) boost::remove_edge(vertex_of(entity_kind::service, old_service), v, graph_);
      if (r->service != 0) boost::add_edge(vertex_of(entity_kind::service, r->service), v, graph_);
      /// Route+service plugins on this route may start or stop applying.
      for (const auto& [id, p] : plugins_) {
        if (p.route == r->id && p.service != 0) wire_plugin(p);
      }
    }
  } else if (const auto* p = std::get_if<plugin_entity>(&e)) {
    plugins_[p->id] = *p;
    wire_plugin(*p);
  } else if (const auto* u = std::get_if<upstream_entity>(&e)) {
    upstream_by_name_.erase(upstreams_.at(u->id).name);
    upstreams_[u->id] = *u;
    upstream_by_name_[u->name] = u->id;
    boost::clear_out_edges(v, graph_);
    for (const vertex sv : services_named(u->name)) boost::add_edge(v, sv, graph_);
  } else if (const auto* c = std::get_if<consumer_entity>(&e)) {
    consumers_[c->id] = *c;
  }
}

void entity_graph::remove(entity_kind kind, std::uint32_t id, bool cascade) {
  /// Kong's cascades: plugins scoped to a deleted route, service or consumer
  /// go with it; with `cascade`, so do a deleted service's routes.
  auto drop_plugins = [this](auto&& scoped) {
    std::vector<std::uint32_t> doomed;
    for (const auto& [pid, p] : plugins_) {
      if (scoped(p)) doomed.push_back(pid);
    }
    for (const std::uint32_t pid : doomed) remove(entity_kind::plugin, pid, false);
  };
  switch (kind) {
    case entity_kind::service: {
      if (cascade) {
        std::vector<std::uint32_t> doomed;
        for (const auto& [rid, r] : routes_) {
          if (r.service == id) doomed.push_back(rid);
        }
        for (const std::uint32_t rid : doomed) remove(entity_kind::route, rid, false);
      }
      drop_plugins([id](const plugin_entity& p) { return p.service == id; });
      services_.erase(id);
      break;
    }
    case entity_kind::route:
      drop_plugins([id](const plugin_entity& p) { return p.route == id; });
      routes_.erase(id);
      break;
    case entity_kind::plugin:
      plugins_.erase(id);
      break;
    case entity_kind::upstream:
      upstream_by_name_.erase(upstreams_.at(id).name);
      upstreams_.erase(id);
      break;
    case entity_kind::consumer:
      drop_plugins([id](const plugin_entity& p) { return p.consumer == id; });
      consumers_.erase(id);
      break;
  }
  free_vertex(kind, id);
}

}  // namespace gwsim::router
