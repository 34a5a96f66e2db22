// HTTP basic authentication (RFC 7617): the Authorization value for a user and password.
// The phone prober sends it with a resync trigger; the simulated phones check it.
#pragma once

#include <string>

namespace stepup {

// "Basic " + base64("user:password").
std::string BasicAuthorization(const std::string& user, const std::string& password);

}  // namespace stepup
