// Storage layer tests: every store scenario runs on both the memory and the SQLite driver.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/memory/memory_driver.hpp"
#include "storage/sqlite/sqlite_driver.hpp"
#include "storage/storage_factory.hpp"
#include "storage/store.hpp"

namespace telex::storage {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("telex-storage-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct MemoryBackend {
  static constexpr bool kTransactional = false;
  static std::unique_ptr<StorageDriver> open(const fs::path&) { return makeMemoryDriver(); }
};

struct SqliteBackend {
  static constexpr bool kTransactional = true;
  static std::unique_ptr<StorageDriver> open(const fs::path& dir) { return openSqliteDriver(dir / "test.db"); }
};

struct BackendNames {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryBackend> ? "Memory" : "Sqlite";
  }
};

template <class Backend>
class StorageDriverTest : public ::testing::Test {
 protected:
  // Ten items for alice, alternating bob/carol, 100 ms apart from t=1000; one for dave at t=1000.
  std::vector<std::string> fillArchive(ArchiveStore& archive) {
    std::vector<std::string> ids;
    for (int i = 0; i < 10; ++i) {
      ids.push_back(archive.append("alice", 1000 + i * 100, i % 2 == 0 ? "bob@x" : "carol@x", "m" + std::to_string(i)));
    }
    archive.append("dave", 1000, "bob@x", "d0");
    return ids;
  }

  static std::vector<std::string> values(const ArchivePage& page) {
    std::vector<std::string> out;
    for (const auto& item : page.items) out.push_back(item.value);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<StorageDriver> driver_ = Backend::open(dir_.path());
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend>;
TYPED_TEST_SUITE(StorageDriverTest, Backends, BackendNames);

using Strings = std::vector<std::string>;

TYPED_TEST(StorageDriverTest, KeyValGetSetOverwriteRemove) {
  auto kv = this->driver_->keyval("accounts");
  EXPECT_FALSE(kv->get("alice"));
  kv->set("alice", "v1");
  EXPECT_EQ(kv->get("alice"), "v1");
  kv->set("alice", "v2");
  EXPECT_EQ(kv->get("alice"), "v2");
  EXPECT_TRUE(kv->remove("alice"));
  EXPECT_FALSE(kv->remove("alice"));
  EXPECT_FALSE(kv->get("alice"));
}

TYPED_TEST(StorageDriverTest, RemoveUserClearsEveryStoreForThatUserOnly) {
  auto& d = *this->driver_;
  d.keyval("accounts")->set("alice", "a");
  d.keyval("vcard")->set("alice", "v");
  d.keyval("accounts")->set("bob", "b");
  d.map("roster")->set("alice", "bob@x", "item");
  d.map("roster")->set("bob", "alice@x", "item");
  d.archive("mam")->append("alice", 1, "bob@x", "m1");
  d.archive("offline")->append("alice", 2, "bob@x", "m2");
  d.archive("mam")->append("bob", 1, "alice@x", "m3");
  d.removeUser("alice");
  EXPECT_FALSE(d.keyval("accounts")->get("alice"));
  EXPECT_FALSE(d.keyval("vcard")->get("alice"));
  EXPECT_TRUE(d.map("roster")->all("alice").empty());
  EXPECT_EQ(d.archive("mam")->count("alice"), 0u);
  EXPECT_EQ(d.archive("offline")->count("alice"), 0u);
  EXPECT_EQ(d.keyval("accounts")->get("bob"), "b");
  EXPECT_EQ(d.map("roster")->all("bob").size(), 1u);
  EXPECT_EQ(d.archive("mam")->count("bob"), 1u);
}

TYPED_TEST(StorageDriverTest, KeyValUsersSortedAndStoresSeparate) {
  auto kv = this->driver_->keyval("accounts");
  kv->set("carol", "c");
  kv->set("alice@example.com", "a2");
  kv->set("alice", "a");
  kv->set("bob", "b");
  EXPECT_EQ(kv->users(), (Strings{"alice", "alice@example.com", "bob", "carol"}));
  EXPECT_TRUE(this->driver_->keyval("vcard")->users().empty());
  EXPECT_FALSE(this->driver_->keyval("vcard")->get("alice"));
  // Another handle on the same name sees the same data.
  EXPECT_EQ(this->driver_->keyval("accounts")->get("bob"), "b");
  EXPECT_FALSE(this->driver_->map("accounts")->get("bob", "bob"));
}

TYPED_TEST(StorageDriverTest, MapOperations) {
  auto map = this->driver_->map("roster");
  EXPECT_FALSE(map->get("alice", "k1"));
  EXPECT_TRUE(map->all("alice").empty());
  map->set("alice", "k2", "v2");
  map->set("alice", "k1", "v1");
  map->set("bob", "k1", "b1");
  EXPECT_EQ(map->get("alice", "k1"), "v1");
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(map->all("alice"), (Pairs{{"k1", "v1"}, {"k2", "v2"}}));
  map->set("alice", "k1", "v1b");
  EXPECT_EQ(map->get("alice", "k1"), "v1b");
  EXPECT_TRUE(map->remove("alice", "k2"));
  EXPECT_FALSE(map->remove("alice", "k2"));
  EXPECT_FALSE(map->remove("nobody", "k1"));
  EXPECT_EQ(map->all("alice"), (Pairs{{"k1", "v1b"}}));
  map->removeAll("alice");
  EXPECT_TRUE(map->all("alice").empty());
  EXPECT_EQ(map->get("bob", "k1"), "b1");
  EXPECT_TRUE(this->driver_->map("privacy")->all("bob").empty());
  map->removeAll("nobody");  // harmless
}

TYPED_TEST(StorageDriverTest, MapUsersWithKey) {
  auto map = this->driver_->map("pep_nodes");
  map->set("carol", "urn:xmpp:avatar:metadata", "n");
  map->set("alice", "urn:xmpp:avatar:metadata", "n");
  map->set("bob", "urn:xmpp:avatar:data", "n");
  this->driver_->map("other")->set("dave", "urn:xmpp:avatar:metadata", "n");
  EXPECT_EQ(map->usersWithKey("urn:xmpp:avatar:metadata"), (Strings{"alice", "carol"}));
  EXPECT_TRUE(map->usersWithKey("nothing").empty());
  map->remove("carol", "urn:xmpp:avatar:metadata");
  EXPECT_EQ(map->usersWithKey("urn:xmpp:avatar:metadata"), (Strings{"alice"}));
}

TYPED_TEST(StorageDriverTest, ArchiveOwnersAreUsersWithItems) {
  auto archive = this->driver_->archive("offline");
  EXPECT_TRUE(archive->owners().empty());
  archive->append("carol", 1, "x@y", "a");
  archive->append("alice", 2, "x@y", "b");
  auto id = archive->append("alice", 3, "x@y", "c");
  this->driver_->archive("mam")->append("dave", 1, "x@y", "d");
  EXPECT_EQ(archive->owners(), (Strings{"alice", "carol"}));
  archive->removeAll("carol");
  archive->remove("alice", id);
  EXPECT_EQ(archive->owners(), (Strings{"alice"}));
}

TYPED_TEST(StorageDriverTest, ArchiveAppendReturnsUniqueIdsAndCounts) {
  auto archive = this->driver_->archive("mam");
  auto ids = this->fillArchive(*archive);
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  for (const auto& id : ids) {
    ASSERT_EQ(id.size(), 16u);
    EXPECT_EQ(id.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567"), std::string::npos) << id;
  }
  EXPECT_EQ(archive->count("alice"), 10u);
  EXPECT_EQ(archive->count("dave"), 1u);
  EXPECT_EQ(archive->count("nobody"), 0u);
  EXPECT_EQ(this->driver_->archive("offline")->count("alice"), 0u);
}

TYPED_TEST(StorageDriverTest, ArchiveQueryDefaults) {
  auto archive = this->driver_->archive("mam");
  auto ids = this->fillArchive(*archive);
  auto page = archive->query("alice", {});
  ASSERT_EQ(page.items.size(), 10u);
  EXPECT_EQ(page.total, 10u);
  EXPECT_TRUE(page.complete);
  EXPECT_EQ(page.items[3].id, ids[3]);
  EXPECT_EQ(page.items[3].when, 1300);
  EXPECT_EQ(page.items[3].with, "carol@x");
  EXPECT_EQ(page.items[3].value, "m3");

  auto empty = archive->query("nobody", {});
  EXPECT_TRUE(empty.items.empty());
  EXPECT_EQ(empty.total, 0u);
  EXPECT_TRUE(empty.complete);
}

TYPED_TEST(StorageDriverTest, ArchiveQueryFilters) {
  auto archive = this->driver_->archive("mam");
  this->fillArchive(*archive);
  ArchiveQuery q;
  q.with = "bob@x";
  auto page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m0", "m2", "m4", "m6", "m8"}));
  EXPECT_EQ(page.total, 5u);

  ArchiveQuery t;
  t.start = 1200;
  t.end = 1500;  // both ends inclusive
  page = archive->query("alice", t);
  EXPECT_EQ(this->values(page), (Strings{"m2", "m3", "m4", "m5"}));
  EXPECT_EQ(page.total, 4u);
  EXPECT_TRUE(page.complete);

  t.with = "carol@x";
  EXPECT_EQ(this->values(archive->query("alice", t)), (Strings{"m3", "m5"}));

  ArchiveQuery late;
  late.start = 1850;
  EXPECT_EQ(this->values(archive->query("alice", late)), (Strings{"m9"}));
  ArchiveQuery early;
  early.end = 1000;
  EXPECT_EQ(this->values(archive->query("alice", early)), (Strings{"m0"}));
  ArchiveQuery none;
  none.with = "nobody@x";
  EXPECT_TRUE(archive->query("alice", none).items.empty());
}

TYPED_TEST(StorageDriverTest, ArchiveForwardPaging) {
  auto archive = this->driver_->archive("mam");
  auto ids = this->fillArchive(*archive);
  ArchiveQuery q;
  q.limit = 3;
  auto page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m0", "m1", "m2"}));
  EXPECT_EQ(page.total, 10u);
  EXPECT_FALSE(page.complete);

  q.afterId = page.items.back().id;
  page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m3", "m4", "m5"}));
  EXPECT_EQ(page.total, 10u);
  EXPECT_FALSE(page.complete);

  q.afterId = ids[6];  // exactly `limit` items remain
  page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m7", "m8", "m9"}));
  EXPECT_TRUE(page.complete);

  q.afterId = ids[8];
  page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m9"}));
  EXPECT_TRUE(page.complete);

  q.afterId = ids[9];
  page = archive->query("alice", q);
  EXPECT_TRUE(page.items.empty());
  EXPECT_TRUE(page.complete);
  EXPECT_EQ(page.total, 10u);
}

TYPED_TEST(StorageDriverTest, ArchiveBackwardPaging) {
  auto archive = this->driver_->archive("mam");
  auto ids = this->fillArchive(*archive);
  ArchiveQuery q;
  q.limit = 3;
  q.reverse = true;
  auto page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m7", "m8", "m9"}));  // still oldest first
  EXPECT_EQ(page.total, 10u);
  EXPECT_FALSE(page.complete);

  ArchiveQuery b;
  b.limit = 3;
  b.beforeId = ids[7];  // beforeId alone also pages backwards
  page = archive->query("alice", b);
  EXPECT_EQ(this->values(page), (Strings{"m4", "m5", "m6"}));
  EXPECT_FALSE(page.complete);

  b.beforeId = ids[3];
  page = archive->query("alice", b);
  EXPECT_EQ(this->values(page), (Strings{"m0", "m1", "m2"}));
  EXPECT_TRUE(page.complete);

  b.beforeId = ids[0];
  page = archive->query("alice", b);
  EXPECT_TRUE(page.items.empty());
  EXPECT_TRUE(page.complete);

  q.limit = 2;
  q.afterId = ids[5];  // reverse inside (m5, end): the newest two, m6 and m7 remain
  page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m8", "m9"}));
  EXPECT_FALSE(page.complete);
}

TYPED_TEST(StorageDriverTest, ArchiveAfterAndBeforeTogether) {
  auto archive = this->driver_->archive("mam");
  auto ids = this->fillArchive(*archive);
  ArchiveQuery q;
  q.afterId = ids[2];
  q.beforeId = ids[6];
  auto page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m3", "m4", "m5"}));
  EXPECT_TRUE(page.complete);
  EXPECT_EQ(page.total, 10u);

  q.limit = 2;
  page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m4", "m5"}));
  EXPECT_FALSE(page.complete);
}

TYPED_TEST(StorageDriverTest, ArchivePagingWithFilter) {
  auto archive = this->driver_->archive("mam");
  auto ids = this->fillArchive(*archive);
  ArchiveQuery q;
  q.with = "bob@x";
  q.limit = 2;
  auto page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m0", "m2"}));
  EXPECT_EQ(page.total, 5u);
  EXPECT_FALSE(page.complete);

  q.afterId = ids[3];  // the anchor itself need not match the filter
  page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m4", "m6"}));
  EXPECT_FALSE(page.complete);

  q.afterId = ids[6];
  page = archive->query("alice", q);
  EXPECT_EQ(this->values(page), (Strings{"m8"}));
  EXPECT_TRUE(page.complete);

  ArchiveQuery r;
  r.with = "carol@x";
  r.reverse = true;
  r.limit = 2;
  r.start = 1000;
  r.end = 1600;
  page = archive->query("alice", r);
  EXPECT_EQ(this->values(page), (Strings{"m3", "m5"}));
  EXPECT_EQ(page.total, 3u);
  EXPECT_FALSE(page.complete);
}

TYPED_TEST(StorageDriverTest, ArchiveUnknownAnchorIsItemNotFound) {
  auto archive = this->driver_->archive("mam");
  this->fillArchive(*archive);
  ArchiveQuery q;
  q.afterId = "nosuchid";
  EXPECT_THROW(archive->query("alice", q), ItemNotFoundError);
  ArchiveQuery b;
  b.beforeId = "nosuchid";
  try {
    archive->query("alice", b);
    FAIL() << "expected a throw";
  } catch (const StorageError& e) {
    EXPECT_STREQ(e.what(), "item-not-found");
  }
  // Another user's id is not an anchor for alice.
  std::string daveId = archive->query("dave", {}).items.at(0).id;
  ArchiveQuery d;
  d.afterId = daveId;
  EXPECT_THROW(archive->query("alice", d), ItemNotFoundError);
  // Nor is an id from another store.
  EXPECT_THROW(this->driver_->archive("offline")->query("dave", d), ItemNotFoundError);
}

TYPED_TEST(StorageDriverTest, ArchiveLimitZeroCountsOnly) {
  auto archive = this->driver_->archive("mam");
  this->fillArchive(*archive);
  ArchiveQuery q;
  q.limit = 0;
  auto page = archive->query("alice", q);
  EXPECT_TRUE(page.items.empty());
  EXPECT_EQ(page.total, 10u);
  EXPECT_FALSE(page.complete);
  page = archive->query("nobody", q);
  EXPECT_EQ(page.total, 0u);
  EXPECT_TRUE(page.complete);
}

TYPED_TEST(StorageDriverTest, ArchiveRemoveAndRemoveAll) {
  auto archive = this->driver_->archive("mam");
  auto ids = this->fillArchive(*archive);
  EXPECT_TRUE(archive->remove("alice", ids[3]));
  EXPECT_FALSE(archive->remove("alice", ids[3]));
  EXPECT_FALSE(archive->remove("dave", ids[4]));  // not dave's
  EXPECT_EQ(archive->count("alice"), 9u);
  ArchiveQuery q;
  q.afterId = ids[2];
  q.limit = 1;
  EXPECT_EQ(this->values(archive->query("alice", q)), (Strings{"m4"}));

  archive->removeAll("alice");
  EXPECT_EQ(archive->count("alice"), 0u);
  EXPECT_EQ(archive->count("dave"), 1u);
}

TYPED_TEST(StorageDriverTest, ArchiveOrderSurvivesRemovingNewest) {
  auto archive = this->driver_->archive("mam");
  std::string a = archive->append("alice", 5, "x", "a");
  std::string b = archive->append("alice", 5, "x", "b");
  EXPECT_TRUE(archive->remove("alice", b));
  std::string c = archive->append("alice", 1, "x", "c");  // older timestamp, still appended last
  EXPECT_EQ(this->values(archive->query("alice", {})), (Strings{"a", "c"}));
  ArchiveQuery q;
  q.afterId = a;
  EXPECT_EQ(this->values(archive->query("alice", q)), (Strings{"c"}));
  ArchiveQuery r;
  r.beforeId = c;
  EXPECT_EQ(this->values(archive->query("alice", r)), (Strings{"a"}));
}

TYPED_TEST(StorageDriverTest, ArchiveRemoveBefore) {
  auto archive = this->driver_->archive("mam");
  this->fillArchive(*archive);
  auto other = this->driver_->archive("offline");
  other->append("alice", 0, "bob@x", "old");
  EXPECT_EQ(archive->removeBefore("alice", 1300), 3u);  // 1000, 1100, 1200; 1300 itself stays
  EXPECT_EQ(this->values(archive->query("alice", {})).front(), "m3");
  EXPECT_EQ(archive->count("dave"), 1u);
  EXPECT_EQ(archive->removeBefore("nobody", 5000), 0u);
  EXPECT_EQ(archive->removeBefore("", 1500), 3u);  // alice's 1300, 1400 and dave's 1000
  EXPECT_EQ(archive->count("alice"), 5u);
  EXPECT_EQ(archive->count("dave"), 0u);
  EXPECT_EQ(other->count("alice"), 1u);  // other stores untouched
}

TYPED_TEST(StorageDriverTest, BinarySafeValues) {
  static constexpr char kTricky[] = "nul\0inside <&'\"> \xff\xfe end";
  const std::string tricky(kTricky, sizeof kTricky - 1);
  ASSERT_EQ(tricky[3], '\0');
  const std::string user = "o'brien&<co>@example.com";

  auto kv = this->driver_->keyval("vcard");
  kv->set(user, tricky);
  EXPECT_EQ(kv->get(user), tricky);
  kv->set("empty", "");
  EXPECT_EQ(kv->get("empty"), std::string());  // present but empty, not missing
  EXPECT_EQ(kv->users(), (Strings{"empty", user}));

  auto map = this->driver_->map("roster");
  map->set(user, "it's <key> & \"quoted\"", tricky);
  EXPECT_EQ(map->get(user, "it's <key> & \"quoted\""), tricky);
  ASSERT_EQ(map->all(user).size(), 1u);
  EXPECT_EQ(map->all(user)[0].second, tricky);
  map->set(user, "blank", "");
  EXPECT_EQ(map->get(user, "blank"), std::string());

  auto archive = this->driver_->archive("mam");
  std::string id = archive->append(user, 7, "<with>&'\"", tricky);
  archive->append(user, 8, "", "");
  ArchiveQuery q;
  q.with = "<with>&'\"";
  auto page = archive->query(user, q);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, id);
  EXPECT_EQ(page.items[0].value, tricky);
  page = archive->query(user, {});
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[1].value, "");
  EXPECT_EQ(page.items[1].with, "");
}

TYPED_TEST(StorageDriverTest, TransactionCommitsGroupedWrites) {
  auto kv = this->driver_->keyval("accounts");
  auto map = this->driver_->map("roster");
  auto archive = this->driver_->archive("mam");
  this->driver_->transaction([&] {
    kv->set("alice", "secret");
    map->set("alice", "bob@x", "item");
    archive->append("alice", 1, "bob@x", "hi");
    EXPECT_EQ(kv->get("alice"), "secret");  // own writes visible inside
    this->driver_->transaction([&] { kv->set("bob", "nested"); });
  });
  EXPECT_EQ(kv->get("alice"), "secret");
  EXPECT_EQ(kv->get("bob"), "nested");
  EXPECT_EQ(map->get("alice", "bob@x"), "item");
  EXPECT_EQ(archive->count("alice"), 1u);
}

TYPED_TEST(StorageDriverTest, TransactionRethrowsAndRollsBackWhereSupported) {
  auto kv = this->driver_->keyval("accounts");
  auto archive = this->driver_->archive("mam");
  kv->set("alice", "before");
  EXPECT_THROW(this->driver_->transaction([&] {
    kv->set("alice", "during");
    kv->set("bob", "new");
    archive->append("alice", 1, "bob@x", "hi");
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  if constexpr (TypeParam::kTransactional) {
    EXPECT_EQ(kv->get("alice"), "before");
    EXPECT_FALSE(kv->get("bob"));
    EXPECT_EQ(archive->count("alice"), 0u);
  } else {
    EXPECT_EQ(kv->get("alice"), "during");
  }
  // The driver is still usable afterwards.
  this->driver_->transaction([&] { kv->set("carol", "ok"); });
  EXPECT_EQ(kv->get("carol"), "ok");
}

TYPED_TEST(StorageDriverTest, StoresOutliveDriver) {
  auto kv = this->driver_->keyval("accounts");
  auto archive = this->driver_->archive("mam");
  this->driver_.reset();
  kv->set("alice", "still works");
  EXPECT_EQ(kv->get("alice"), "still works");
  archive->append("alice", 1, "", "x");
  EXPECT_EQ(archive->count("alice"), 1u);
}

TYPED_TEST(StorageDriverTest, ConcurrentUseFromFourThreads) {
  constexpr int kThreads = 4;
  constexpr int kOps = 100;
  auto kv = this->driver_->keyval("accounts");
  auto map = this->driver_->map("roster");
  auto archive = this->driver_->archive("mam");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        const std::string user = "user" + std::to_string(t);
        for (int i = 0; i < kOps; ++i) {
          const std::string n = std::to_string(i);
          kv->set(user + "-" + n, n);
          if (i % 10 == 0) {
            this->driver_->transaction([&] {
              map->set(user, "k" + n, n);
              archive->append(user, i, "peer", n);
            });
          } else {
            map->set(user, "k" + n, n);
            archive->append(user, i, "peer", n);
          }
          ArchiveQuery q;
          q.reverse = true;
          q.limit = 1;
          auto page = archive->query(user, q);
          if (page.items.size() != 1 || page.items[0].value != n) ++failures;
          if (kv->get(user + "-" + n) != n) ++failures;
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << t << ": " << e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(kv->users().size(), static_cast<std::size_t>(kThreads * kOps));
  for (int t = 0; t < kThreads; ++t) {
    const std::string user = "user" + std::to_string(t);
    EXPECT_EQ(map->all(user).size(), static_cast<std::size_t>(kOps));
    EXPECT_EQ(archive->count(user), static_cast<std::size_t>(kOps));
    ArchiveQuery q;
    q.limit = kOps;
    auto page = archive->query(user, q);
    ASSERT_EQ(page.items.size(), static_cast<std::size_t>(kOps));
    for (int i = 0; i < kOps; ++i) EXPECT_EQ(page.items[i].value, std::to_string(i));
    EXPECT_TRUE(page.complete);
  }
}

// ---- SQLite-specific behaviour ----

struct RawDbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using RawDb = std::unique_ptr<sqlite3, RawDbCloser>;

RawDb openRaw(const fs::path& file) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open(file.c_str(), &raw);
  RawDb db(raw);
  if (rc != SQLITE_OK) throw std::runtime_error("raw open failed");
  return db;
}

std::string pragma(sqlite3* db, const std::string& sql) {
  std::string result;
  auto callback = [](void* out, int, char** values, char**) {
    *static_cast<std::string*>(out) = values[0] ? values[0] : "";
    return 0;
  };
  if (sqlite3_exec(db, sql.c_str(), callback, &result, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db));
  }
  return result;
}

bool tableExists(sqlite3* db, const std::string& name) {
  return pragma(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='" + name + "'") == "1";
}

TEST(SqliteStorageTest, TransactionRollbackUndoesEveryStore) {
  TempDir dir;
  auto driver = openSqliteDriver(dir.path() / "t.db");
  auto kv = driver->keyval("accounts");
  auto map = driver->map("roster");
  map->set("alice", "bob@x", "old");
  EXPECT_THROW(driver->transaction([&] {
    kv->set("alice", "x");
    map->set("alice", "bob@x", "new");
    map->set("alice", "carol@x", "new");
    throw StorageError("fail late");
  }),
               StorageError);
  EXPECT_FALSE(kv->get("alice"));
  EXPECT_EQ(map->all("alice"), (std::vector<std::pair<std::string, std::string>>{{"bob@x", "old"}}));
}

TEST(SqliteStorageTest, NestedTransactionFailureUndoesOnlyInnerPart) {
  TempDir dir;
  auto driver = openSqliteDriver(dir.path() / "t.db");
  auto kv = driver->keyval("accounts");
  driver->transaction([&] {
    kv->set("outer", "1");
    try {
      driver->transaction([&] {
        kv->set("inner", "1");
        throw std::runtime_error("inner fails");
      });
    } catch (const std::runtime_error&) {
    }
    kv->set("after", "1");
  });
  EXPECT_EQ(kv->users(), (Strings{"after", "outer"}));
}

TEST(SqliteStorageTest, ReopeningKeepsData) {
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  std::string firstId;
  {
    auto driver = openSqliteDriver(file);
    driver->keyval("accounts")->set("alice", std::string("pw\0hash", 7));
    driver->map("roster")->set("alice", "bob@x", "friend");
    firstId = driver->archive("mam")->append("alice", 10, "bob@x", "one");
    driver->archive("mam")->append("alice", 20, "bob@x", "two");
  }
  auto driver = openSqliteDriver(file);
  EXPECT_EQ(driver->keyval("accounts")->get("alice"), std::string("pw\0hash", 7));
  EXPECT_EQ(driver->map("roster")->get("alice", "bob@x"), "friend");
  auto archive = driver->archive("mam");
  archive->append("alice", 30, "bob@x", "three");
  ArchiveQuery q;
  q.afterId = firstId;
  auto page = archive->query("alice", q);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].value, "two");
  EXPECT_EQ(page.items[1].value, "three");
}

TEST(SqliteStorageTest, RecordsSchemaVersionAndUsesWal) {
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  openSqliteDriver(file);
  ASSERT_GE(detail::sqliteSchemaVersion(), 1);
  auto db = openRaw(file);
  EXPECT_EQ(pragma(db.get(), "PRAGMA user_version"), std::to_string(detail::sqliteSchemaVersion()));
  EXPECT_EQ(pragma(db.get(), "PRAGMA journal_mode"), "wal");
  EXPECT_TRUE(tableExists(db.get(), "keyval"));
  EXPECT_TRUE(tableExists(db.get(), "map"));
  EXPECT_TRUE(tableExists(db.get(), "archive"));
}

TEST(SqliteStorageTest, EmptyFileIsInitialised) {
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  std::ofstream(file).close();  // a zero-byte file is a valid, empty database
  auto driver = openSqliteDriver(file);
  driver->keyval("accounts")->set("alice", "x");
  EXPECT_EQ(driver->keyval("accounts")->get("alice"), "x");
}

TEST(SqliteStorageTest, RefusesNewerDatabase) {
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  openSqliteDriver(file);
  const int newer = detail::sqliteSchemaVersion() + 1;
  pragma(openRaw(file).get(), "PRAGMA user_version = " + std::to_string(newer));
  try {
    openSqliteDriver(file);
    FAIL() << "expected a throw";
  } catch (const StorageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("newer"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::to_string(newer)), std::string::npos) << msg;
    EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
  }
  // Refusing must not have touched the file.
  EXPECT_EQ(pragma(openRaw(file).get(), "PRAGMA user_version"), std::to_string(newer));
}

TEST(SqliteStorageTest, UpgradesOlderDatabase) {
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  openSqliteDriver(file)->keyval("accounts")->set("alice", "kept");

  std::vector<detail::SqliteMigration> steps(detail::sqliteMigrations().begin(), detail::sqliteMigrations().end());
  const int next = detail::sqliteSchemaVersion() + 1;
  steps.push_back({next, "CREATE TABLE extra (x INTEGER); INSERT INTO extra VALUES (42);"});
  {
    auto driver = detail::openSqliteDriver(file, steps);
    EXPECT_EQ(driver->keyval("accounts")->get("alice"), "kept");
  }
  {
    auto db = openRaw(file);
    EXPECT_EQ(pragma(db.get(), "PRAGMA user_version"), std::to_string(next));
    EXPECT_EQ(pragma(db.get(), "SELECT x FROM extra"), "42");
  }
  detail::openSqliteDriver(file, steps);  // already current: no step runs twice
  EXPECT_EQ(pragma(openRaw(file).get(), "SELECT count(*) FROM extra"), "1");
  EXPECT_THROW(openSqliteDriver(file), StorageError);  // this build's list is now older
}

TEST(SqliteStorageTest, FailedMigrationChangesNothing) {
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  openSqliteDriver(file);
  std::vector<detail::SqliteMigration> steps(detail::sqliteMigrations().begin(), detail::sqliteMigrations().end());
  const int next = detail::sqliteSchemaVersion() + 1;
  steps.push_back({next, "CREATE TABLE half (x); THIS IS NOT SQL;"});
  try {
    detail::openSqliteDriver(file, steps);
    FAIL() << "expected a throw";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("migration"), std::string::npos) << e.what();
  }
  auto db = openRaw(file);
  EXPECT_EQ(pragma(db.get(), "PRAGMA user_version"), std::to_string(detail::sqliteSchemaVersion()));
  EXPECT_FALSE(tableExists(db.get(), "half"));
}

TEST(SqliteStorageTest, FreshDatabaseMigratesFromZero) {
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  const detail::SqliteMigration steps[] = {{1, "CREATE TABLE a (x);"}, {2, "CREATE TABLE b (x);"}};
  detail::openSqliteDriver(file, steps);
  auto db = openRaw(file);
  EXPECT_EQ(pragma(db.get(), "PRAGMA user_version"), "2");
  EXPECT_TRUE(tableExists(db.get(), "a"));
  EXPECT_TRUE(tableExists(db.get(), "b"));
}

TEST(SqliteStorageTest, OpenFailuresNameThePath) {
  TempDir dir;
  const fs::path notAFolder = dir.path() / "plain-file";
  std::ofstream(notAFolder) << "x";
  const fs::path unreachable = notAFolder / "t.db";  // fails even as root
  try {
    openSqliteDriver(unreachable);
    FAIL() << "expected a throw";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find(unreachable.string()), std::string::npos) << e.what();
  }

  const fs::path garbage = dir.path() / "garbage.db";
  std::ofstream(garbage) << std::string(4096, 'g');
  try {
    openSqliteDriver(garbage);
    FAIL() << "expected a throw";
  } catch (const StorageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(garbage.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("not a database"), std::string::npos) << msg;
  }
}

TEST(SqliteStorageTest, TwoConnectionsShareOneFile) {
  // Like the CLI writing while the server runs: separate connections, busy timeout, WAL.
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  auto server = openSqliteDriver(file);
  auto cli = openSqliteDriver(file);
  constexpr int kOps = 100;
  auto writer = [&](StorageDriver& driver, const std::string& prefix) {
    auto kv = driver.keyval("accounts");
    auto archive = driver.archive("mam");
    for (int i = 0; i < kOps; ++i) {
      driver.transaction([&] {
        kv->set(prefix + std::to_string(i), "v");
        archive->append("shared", i, prefix, "x");
      });
    }
  };
  std::thread a([&] { writer(*server, "s"); });
  std::thread b([&] { writer(*cli, "c"); });
  a.join();
  b.join();
  EXPECT_EQ(server->keyval("accounts")->users().size(), 2u * kOps);
  EXPECT_EQ(cli->archive("mam")->count("shared"), 2u * kOps);
}

TEST(SqliteStorageTest, ASnapshotSeesOneStateWhileAnotherConnectionWrites) {
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  auto server = openSqliteDriver(file);
  auto cli = openSqliteDriver(file);
  auto seen = server->keyval("roster_version");
  seen->set("alice", "1");
  std::optional<std::string> first, second, after;
  server->snapshot([&] {
    first = seen->get("alice");
    cli->keyval("roster_version")->set("alice", "2");  // commits on its own connection meanwhile
    second = seen->get("alice");
  });
  after = seen->get("alice");
  EXPECT_EQ(first, "1");
  EXPECT_EQ(second, "1");
  EXPECT_EQ(after, "2");
}

// ---- factory ----

TEST(StorageFactoryTest, OpensDriversByName) {
  TempDir dir;
  EXPECT_EQ(openStorage("memory", dir.path())->name(), "memory");
  const fs::path dataDir = dir.path() / "new" / "data";
  auto sqlite = openStorage("sqlite", dataDir);
  EXPECT_EQ(sqlite->name(), "sqlite");
  EXPECT_TRUE(fs::exists(dataDir / "telex.db"));
  EXPECT_THROW(openStorage("postgres", dir.path()), StorageError);
}

}  // namespace
}  // namespace telex::storage
