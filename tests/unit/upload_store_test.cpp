// Upload records and files: quota accounting, look-ups and expiry of slots and files.
#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "modules/upload/upload_store.hpp"
#include "storage/storage_factory.hpp"

namespace telex::modules::upload {
namespace {

constexpr std::int64_t kNow = 1700000000;

class UploadStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("telex-upload-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    driver_ = storage::openStorage("memory", dir_);
    Lifetimes lifetimes;
    lifetimes.slotSeconds = 300;
    lifetimes.fileSeconds = 7 * 86400;
    store_ = std::make_unique<UploadStore>(*driver_, dir_, lifetimes);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Slot slot(std::string id, std::string owner, std::uint64_t size, std::int64_t created = kNow) {
    Slot s;
    s.id = std::move(id);
    s.owner = std::move(owner);
    s.filename = "f.bin";
    s.size = size;
    s.created = created;
    return s;
  }
  void writeFile(const std::filesystem::path& path) { std::ofstream(path) << "data"; }
  void makeOld(const std::filesystem::path& path) {
    struct utimbuf times {};
    times.actime = times.modtime = static_cast<time_t>(kNow - 7200);
    ::utime(path.c_str(), &times);
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::StorageDriver> driver_;
  std::unique_ptr<UploadStore> store_;
};

const std::string kA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const std::string kC = "cccccccccccccccccccccccccccccccc";

TEST_F(UploadStoreTest, QuotaCountsOpenSlotsAndLiveFiles) {
  EXPECT_EQ(store_->reserve(slot(kA, "alice", 600), 1000, kNow), UploadStore::Reserve::Ok);
  EXPECT_EQ(store_->reserve(slot(kB, "alice", 500), 1000, kNow), UploadStore::Reserve::OverQuota);
  EXPECT_EQ(store_->reserve(slot(kB, "alice", 400), 1000, kNow), UploadStore::Reserve::Ok);
  EXPECT_EQ(store_->usage("alice", kNow), 1000u);
  // Another user has a quota of their own; 0 means unlimited.
  EXPECT_EQ(store_->reserve(slot(kC, "bob", 1000), 1000, kNow), UploadStore::Reserve::Ok);
  EXPECT_EQ(store_->reserve(slot("dddddddddddddddddddddddddddddddd", "alice", 1 << 30), 0, kNow),
            UploadStore::Reserve::Ok);
}

TEST_F(UploadStoreTest, OpenSlotsPerUserAreCapped) {
  char id[33];
  for (std::size_t i = 0; i < UploadStore::kMaxOpenSlots; ++i) {
    std::snprintf(id, sizeof(id), "%032zx", i);
    ASSERT_EQ(store_->reserve(slot(id, "alice", 0), 0, kNow), UploadStore::Reserve::Ok);
  }
  EXPECT_EQ(store_->reserve(slot(kA, "alice", 0), 0, kNow), UploadStore::Reserve::TooManySlots);
  EXPECT_EQ(store_->reserve(slot(kA, "bob", 0), 0, kNow), UploadStore::Reserve::Ok);
  // Closed slots no longer count.
  EXPECT_EQ(store_->reserve(slot(kB, "alice", 0, kNow + 300), 0, kNow + 300), UploadStore::Reserve::Ok);
}

TEST_F(UploadStoreTest, ClosedSlotsStopCountingFilesCountUntilExpiry) {
  store_->reserve(slot(kA, "alice", 600), 1000, kNow);
  auto a = store_->find(kA);
  ASSERT_TRUE(a);
  EXPECT_TRUE(store_->slotOpen(*a, kNow + 299));
  EXPECT_FALSE(store_->slotOpen(*a, kNow + 300));
  EXPECT_EQ(store_->usage("alice", kNow + 300), 0u);

  ASSERT_EQ(store_->reserve(slot(kB, "alice", 700), 0, kNow), UploadStore::Reserve::Ok);
  ASSERT_TRUE(store_->find(kB));
  store_->markComplete(*store_->find(kB));
  auto b = store_->find(kB);
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->complete);
  EXPECT_TRUE(store_->fileLive(*b, kNow + 7 * 86400 - 1));
  EXPECT_FALSE(store_->fileLive(*b, kNow + 7 * 86400));
  EXPECT_EQ(store_->usage("alice", kNow + 400), 700u);
}

TEST_F(UploadStoreTest, ExpireRemovesOldFilesAndAbandonedSlots) {
  store_->reserve(slot(kA, "alice", 4, kNow - 8 * 86400), 0, kNow);  // file past its week
  ASSERT_TRUE(store_->find(kA));
  store_->markComplete(*store_->find(kA));
  writeFile(store_->filePath(kA));
  store_->reserve(slot(kB, "alice", 4, kNow - 2 * 86400), 0, kNow);  // slot never filled
  writeFile(store_->partPath(kB));
  store_->reserve(slot(kC, "alice", 4, kNow - 3600), 0, kNow);  // fresh file
  ASSERT_TRUE(store_->find(kC));
  store_->markComplete(*store_->find(kC));
  writeFile(store_->filePath(kC));

  EXPECT_EQ(store_->expire(kNow, {}), 2u);
  EXPECT_FALSE(store_->find(kA));
  EXPECT_FALSE(std::filesystem::exists(store_->filePath(kA)));
  EXPECT_FALSE(store_->find(kB));
  EXPECT_FALSE(std::filesystem::exists(store_->partPath(kB)));
  EXPECT_TRUE(store_->find(kC));
  EXPECT_TRUE(std::filesystem::exists(store_->filePath(kC)));
}

TEST_F(UploadStoreTest, ExpireSparesBusyAndRecentSlots) {
  store_->reserve(slot(kA, "alice", 4, kNow - 2 * 86400), 0, kNow);
  writeFile(store_->partPath(kA));
  store_->reserve(slot(kB, "alice", 4, kNow - 600), 0, kNow);  // closed, but a PUT may still run
  writeFile(store_->partPath(kB));
  EXPECT_EQ(store_->expire(kNow, {kA}), 0u);
  EXPECT_TRUE(store_->find(kA));
  EXPECT_TRUE(store_->find(kB));
}

TEST_F(UploadStoreTest, ExpireRemovesOrphans) {
  // Bytes whose record is gone (account removed, memory store restarted), once they are old.
  driver_->keyval("upload_index")->set(kA, "ghost");
  writeFile(store_->filePath(kA));
  writeFile(store_->filePath(kB));
  makeOld(store_->filePath(kB));
  writeFile(store_->filePath(kC));  // young: may belong to a slot made during the sweep
  writeFile(dir_ / "not-an-upload.txt");
  makeOld(dir_ / "not-an-upload.txt");
  EXPECT_EQ(store_->expire(kNow, {}), 2u);
  EXPECT_FALSE(std::filesystem::exists(store_->filePath(kA)));
  EXPECT_FALSE(std::filesystem::exists(store_->filePath(kB)));
  EXPECT_TRUE(std::filesystem::exists(store_->filePath(kC)));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "not-an-upload.txt"));
  EXPECT_TRUE(driver_->keyval("upload_index")->users().empty());
}

TEST_F(UploadStoreTest, RemoveTakesRecordAndBytes) {
  store_->reserve(slot(kA, "alice", 4), 0, kNow);
  writeFile(store_->filePath(kA));
  ASSERT_TRUE(store_->find(kA));
  store_->remove(*store_->find(kA));
  EXPECT_FALSE(store_->find(kA));
  EXPECT_FALSE(std::filesystem::exists(store_->filePath(kA)));
  EXPECT_EQ(store_->usage("alice", kNow), 0u);
}

}  // namespace
}  // namespace telex::modules::upload
