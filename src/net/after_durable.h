// Sending an answer only once the hop progress behind it is durable (Response::durable,
// contract.md), for every transport: the inventory calls back on its committer's thread, and
// the answer goes out on the connection's or transfer's own executor.
#pragma once

#include <boost/asio/post.hpp>
#include <cstdint>
#include <utility>

#include "app/provisioner.h"

namespace stepup {

// Calls then(durable) on `ex` once the ticket's progress is durable (true) or lost (false).
template <typename Executor, typename Then>
void AfterDurable(Provisioner& prov, uint64_t ticket, Executor ex, Then then) {
  prov.WhenDurable(ticket, [ex = std::move(ex), then = std::move(then)](bool ok) mutable {
    boost::asio::post(ex, [then = std::move(then), ok]() mutable { then(ok); });
  });
}

}  // namespace stepup
