package placement

// node links an item into one intrusive doubly-linked list: no allocation
// per insertion, O(1) removal given the item.
type node[T any] struct {
	prev, next *T
	in         *chain[T]
}

// chain is an intrusive FIFO list of *T; link returns the node of an item
// for this list (an item may sit in several lists through several nodes).
type chain[T any] struct {
	head, tail *T
	n          int
	link       func(*T) *node[T]
}

func newChain[T any](link func(*T) *node[T]) chain[T] { return chain[T]{link: link} }

func (c *chain[T]) pushBack(x *T) {
	nd := c.link(x)
	if nd.in != nil {
		panic("placement: item already in a list")
	}
	nd.in, nd.prev, nd.next = c, c.tail, nil
	if c.tail != nil {
		c.link(c.tail).next = x
	} else {
		c.head = x
	}
	c.tail = x
	c.n++
}

// remove takes x out of its list if x is in this one.
func (c *chain[T]) remove(x *T) {
	nd := c.link(x)
	if nd.in != c {
		return
	}
	if nd.prev != nil {
		c.link(nd.prev).next = nd.next
	} else {
		c.head = nd.next
	}
	if nd.next != nil {
		c.link(nd.next).prev = nd.prev
	} else {
		c.tail = nd.prev
	}
	nd.prev, nd.next, nd.in = nil, nil, nil
	c.n--
}
