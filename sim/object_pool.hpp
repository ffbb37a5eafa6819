#pragma once
/// A pool of objects with stable addresses, recycled through a free list.
///
/// Models keep per-entity records (a request in flight) whose address
/// travels in an event payload; allocating each with `new` would put the
/// allocator on the hot path. Storage grows in fixed chunks and is never
/// returned, so a model in steady state allocates nothing.

#include <cstddef>
#include <memory>
#include <vector>

namespace gwsim::sim {

template <class T, std::size_t ChunkSize = 1024>
class object_pool {
 public:
  object_pool() = default;
  object_pool(const object_pool&) = delete;
  object_pool& operator=(const object_pool&) = delete;

  /// A default-constructed (or reset by the caller) object.
  T* acquire() {
    if (free_.empty()) grow();
    T* p = free_.back();
    free_.pop_back();
    ++in_use_;
    return p;
  }

  void release(T* p) {
    free_.push_back(p);
    --in_use_;
  }

  std::size_t in_use() const noexcept { return in_use_; }
  std::size_t capacity() const noexcept { return chunks_.size() * ChunkSize; }

 private:
  void grow() {
    chunks_.push_back(std::make_unique<T[]>(ChunkSize));
    T* base = chunks_.back().get();
    free_.reserve(capacity());
    for (std::size_t i = ChunkSize; i-- > 0;) free_.push_back(base + i);
  }

  std::vector<std::unique_ptr<T[]>> chunks_;
  std::vector<T*> free_;
  std::size_t in_use_ = 0;
};

}  // namespace gwsim::sim
