package pattern

import "encoding/binary"

// trieNode is one step of the tree of field paths a Set uses. The event
// scanner walks it in step with the event: a key with no child is skipped
// with everything under it.
type trieNode struct {
	field int32 // index of the field ending here, -1 if none
	keys  []string
	kids  []*trieNode
	// slot maps a cheap hash of a key (its length, first and last byte)
	// to the child with that hash: -1 none, -2 several (search keys).
	// Most event keys are unused and rejected by the table alone.
	slot []int16
	// head[i] is the first eight bytes of keys[i], zero-padded, compared
	// as one word before the rest of the key.
	head []uint64
}

func newTrieNode() *trieNode { return &trieNode{field: -1} }

// add returns the child for key, creating it.
func (n *trieNode) add(key string) *trieNode {
	for i, k := range n.keys {
		if k == key {
			return n.kids[i]
		}
	}
	c := newTrieNode()
	n.keys = append(n.keys, key)
	n.kids = append(n.kids, c)
	return c
}

func keyHash(n int, first, last byte) uint8 {
	return uint8(n*31) ^ first*7 ^ last
}

func hashOf(k []byte) uint8 {
	if len(k) == 0 {
		return 0
	}
	return keyHash(len(k), k[0], k[len(k)-1])
}

// headWord returns the first eight bytes of k, zero-padded.
func headWord(k []byte) uint64 {
	if len(k) >= 8 {
		return binary.LittleEndian.Uint64(k)
	}
	var w uint64
	for i := len(k) - 1; i >= 0; i-- {
		w = w<<8 | uint64(k[i])
	}
	return w
}

// seal builds the hash slots, for n and every node below.
func (n *trieNode) seal() {
	if len(n.keys) > 0 {
		n.slot = make([]int16, 256)
		for i := range n.slot {
			n.slot[i] = -1
		}
		for i, k := range n.keys {
			n.head = append(n.head, headWord([]byte(k)))
			h := hashOf([]byte(k))
			if n.slot[h] == -1 && i < 1<<15 {
				n.slot[h] = int16(i)
			} else {
				n.slot[h] = -2
			}
		}
	}
	for _, c := range n.kids {
		c.seal()
	}
}

// hasKids reports whether any path continues below n.
func (n *trieNode) hasKids() bool { return len(n.keys) > 0 }

// child returns the child for the (decoded) key k, or nil.
func (n *trieNode) child(k []byte) *trieNode {
	if n.slot == nil {
		return nil
	}
	i := n.slot[hashOf(k)]
	if i == -1 {
		return nil
	}
	w := headWord(k)
	if i >= 0 {
		if n.head[i] == w && len(n.keys[i]) == len(k) && (len(k) <= 8 || n.keys[i][8:] == string(k[8:])) {
			return n.kids[i]
		}
		return nil
	}
	for i, key := range n.keys {
		if n.head[i] == w && key == string(k) {
			return n.kids[i]
		}
	}
	return nil
}
