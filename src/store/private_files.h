// Files that hold device secrets (the inventory, its write-ahead log and shared memory, the
// data directory they live in) are private to the user stepup runs as: directories 0700,
// files 0600. Checked on every start-up: a mode that lets others read is fixed, with a note
// naming the file; one that cannot be fixed is refused with an error naming it.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace stepup {

// Creates `dir` (and its parents) if missing, 0700; makes an existing one 0700. Appends what
// it fixed to `notes`.
Status MakeDirPrivate(const std::string& dir, std::vector<std::string>& notes);
// Makes each existing file of `files` 0600 (a missing one is skipped). Appends what it fixed.
Status MakeFilesPrivate(const std::vector<std::string>& files, std::vector<std::string>& notes);
// Creates `path` empty with mode 0600 if it does not exist (what SQLite then opens; it gives
// the -wal and -shm files the database file's mode).
Status CreatePrivateFile(const std::string& path);

}  // namespace stepup
