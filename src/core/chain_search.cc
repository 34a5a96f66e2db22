#include "core/chain_search.h"

#include <algorithm>
#include <climits>
#include <tuple>

namespace stepup::chain {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Node NodeOf(const Load& l) { return {&l, l.load, l.version_label, l.version, l.protocol, l.facts}; }

bool NewerThan(const Load* a, const Load* b) {
  int c = Compare(a->version, b->version);
  if (c != 0) return c > 0;
  return Compare(a->load_version, b->load_version) > 0;
}

std::vector<const Load*> ShortestChain(const HopRules& s, const Node& start,
                                       const std::vector<const Load*>& cands, const Load* target,
                                       Protocol to_proto) {
  const size_t n = cands.size();
  size_t t = n;
  for (size_t i = 0; i < n; ++i) {
    if (cands[i] == target) t = i;
  }
  if (t == n) return {};
  // edge[i][j]: cands[i] -> cands[j]; start edges separately.
  std::vector<std::vector<char>> edge(n, std::vector<char>(n, 0));
  for (size_t i = 0; i < n; ++i) {
    Node from = NodeOf(*cands[i]);
    for (size_t j = 0; j < n; ++j)
      edge[i][j] = static_cast<char>(i != j && s.Allowed(from, *cands[j]));
  }
  std::vector<char> start_edge(n);
  for (size_t j = 0; j < n; ++j) start_edge[j] = static_cast<char>(s.Allowed(start, *cands[j]));
  // Backward BFS: dist to target and the fewest off-protocol hops among shortest chains.
  std::vector<int> dist(n, INT_MAX), off(n, INT_MAX);
  dist[t] = 0;
  off[t] = 0;
  std::vector<size_t> order{t};
  for (size_t head = 0; head < order.size(); ++head) {
    size_t v = order[head];
    for (size_t u = 0; u < n; ++u) {
      if (edge[u][v] && dist[u] == INT_MAX) {
        dist[u] = dist[v] + 1;
        order.push_back(u);
      }
    }
  }
  auto cost_via = [&](size_t v) { return off[v] + (cands[v]->protocol != to_proto ? 1 : 0); };
  for (size_t u : order) {  // increasing distance
    if (u == t) continue;
    for (size_t v = 0; v < n; ++v) {
      if (edge[u][v] && dist[v] == dist[u] - 1) off[u] = std::min(off[u], cost_via(v));
    }
  }
  // Forward: from the start, always step to the best successor.
  auto pick = [&](auto is_edge) {
    size_t best = n;
    for (size_t v = 0; v < n; ++v) {
      if (!is_edge(v) || dist[v] == INT_MAX) continue;
      if (best == n) {
        best = v;
        continue;
      }
      auto key = [&](size_t x) { return std::make_pair(dist[x], cost_via(x)); };
      if (key(v) < key(best) || (key(v) == key(best) && NewerThan(cands[v], cands[best]))) best = v;
    }
    return best;
  };
  std::vector<const Load*> chain;
  size_t cur = pick([&](size_t v) { return start_edge[v] != 0; });
  while (cur != n) {
    chain.push_back(cands[cur]);
    if (cur == t) return chain;
    size_t c = cur;
    cur = pick([&](size_t v) { return edge[c][v] != 0; });
  }
  return {};
}

std::vector<const Load*> FewestMissingChain(const HopRules& s, const Node& start,
                                            const std::vector<const Load*>& all, const Load* target,
                                            Protocol to_proto,
                                            const std::function<bool(const Load*)>& have) {
  const size_t n = all.size();
  using Cost = std::tuple<int, int, int, int>;
  const Cost kInf{INT_MAX, INT_MAX, INT_MAX, INT_MAX};
  auto step = [&](const Cost& c, size_t v) {
    const bool missing = !have(all[v]);
    return Cost{std::get<0>(c) + (missing ? 1 : 0), std::get<1>(c) + 1,
                std::get<2>(c) + (missing && LoadAccess(*all[v]) != Access::kFree ? 1 : 0),
                std::get<3>(c) + (all[v]->protocol != to_proto ? 1 : 0)};
  };
  std::vector<Cost> cost(n, kInf);
  std::vector<size_t> prev(n, n + 1);  // n = start
  std::vector<char> done(n, 0);
  for (size_t j = 0; j < n; ++j) {
    if (s.Allowed(start, *all[j])) {
      cost[j] = step(Cost{0, 0, 0, 0}, j);
      prev[j] = n;
    }
  }
  for (;;) {
    size_t u = n;
    for (size_t i = n; i-- > 0;) {  // newest first, so ties go to newer releases
      if (!done[i] && cost[i] != kInf && (u == n || cost[i] < cost[u])) u = i;
    }
    if (u == n || all[u] == target) break;
    done[u] = 1;
    Node from = NodeOf(*all[u]);
    for (size_t v = n; v-- > 0;) {
      if (done[v] || v == u || !s.Allowed(from, *all[v])) continue;
      Cost c = step(cost[u], v);
      if (c < cost[v]) {
        cost[v] = c;
        prev[v] = u;
      }
    }
  }
  size_t t = n;
  for (size_t i = 0; i < n; ++i) {
    if (all[i] == target) t = i;
  }
  if (t == n || cost[t] == kInf) return {};
  std::vector<const Load*> chain;
  for (size_t v = t; v != n; v = prev[v]) chain.push_back(all[v]);
  std::reverse(chain.begin(), chain.end());
  return chain;
}

}  // namespace stepup::chain
