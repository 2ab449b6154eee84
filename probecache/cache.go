package probecache

import (
	"container/list"
	"sync"
)

// Key is a digest of a probe's inputs (collector.Key).
type Key = [32]byte

// Cache maps a target (any string naming what was probed, e.g. target and
// module) to its last Answer and that answer's Key. It is safe for
// concurrent use.
type Cache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	byID     map[string]*list.Element
	lru      list.List // of *entry, most recently used first
}

type entry struct {
	id     string
	key    Key
	answer *Answer
}

// New returns a cache holding at most maxBytes of compressed answers; 0 or
// less keeps nothing.
func New(maxBytes int) *Cache {
	return &Cache{maxBytes: maxBytes, byID: map[string]*list.Element{}}
}

// Get returns id's answer if it was written from inputs with this key.
func (c *Cache) Get(id string, key Key) *Answer {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[id]
	if !ok {
		return nil
	}
	e := el.Value.(*entry)
	if e.key != key {
		return nil
	}
	c.lru.MoveToFront(el)
	return e.answer
}

// Put makes a the answer of id, written from inputs with this key, and
// drops the least recently used answers beyond the size limit. An answer
// bigger than the whole cache is not kept (and id's old one is dropped).
func (c *Cache) Put(id string, key Key, a *Answer) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.remove(el)
	}
	if a.Size() > c.maxBytes {
		return
	}
	c.byID[id] = c.lru.PushFront(&entry{id: id, key: key, answer: a})
	c.bytes += a.Size()
	for c.bytes > c.maxBytes {
		c.remove(c.lru.Back())
	}
}

func (c *Cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*entry)
	delete(c.byID, e.id)
	c.bytes -= e.answer.Size()
}

// Stats returns how many answers the cache holds and their total size.
func (c *Cache) Stats() (answers, bytes int) {
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byID), c.bytes
}
