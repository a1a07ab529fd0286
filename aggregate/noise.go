package aggregate

import (
	"crypto/rand"
	"encoding/binary"
	"math"
	"math/big"
	"math/bits"
	"sync"

	"github.com/smartbooqing/steward/privacy"
)

// NoiseSource draws the random values a private release needs. Production
// code uses [CryptoNoise]; tests inject a source that returns known values so
// that a release can be checked exactly.
//
// Implementations must be safe for concurrent use, and must neither modify
// nor retain the *big.Rat they are given.
type NoiseSource interface {
	// Laplace returns one draw X from the discrete Laplace distribution of
	// the given scale t > 0: P(X = x) is proportional to exp(-|x|/t) for every
	// integer x. A draw that does not fit in an int64 is an error.
	Laplace(scale *big.Rat) (int64, error)
	// Gaussian returns one draw X from the discrete Gaussian distribution with
	// parameter sigma2 = σ² > 0: P(X = x) is proportional to exp(-x²/(2σ²))
	// for every integer x. A draw that does not fit in an int64 is an error.
	Gaussian(sigma2 *big.Rat) (int64, error)
	// Intn returns an integer drawn uniformly from [0, n), n > 0. A private
	// release uses it to choose which cells a subject keeps when the subject
	// contributes to more cells than [Private.MaxCells] allows.
	Intn(n int64) (int64, error)
}

// CryptoNoise is the [NoiseSource] for production: exact samplers driven by
// crypto/rand. The samplers are those of Canonne, Kamath and Steinke, "The
// Discrete Gaussian for Differential Privacy" (NeurIPS 2020, Algorithms 1–3):
// integer and rational arithmetic only, with Bernoulli(exp(-γ)) drawn by
// comparing uniform integers, so the output follows the stated distribution
// exactly. No floating-point number is involved, which closes the attacks on
// floating-point Laplace noise (Mironov, CCS 2012).
//
// Random bytes are read from crypto/rand in blocks. The zero value is ready
// for use; CryptoNoise is safe for concurrent use. Do not copy a CryptoNoise
// after first use.
type CryptoNoise struct {
	mu sync.Mutex
	s  sampler
}

var _ NoiseSource = (*CryptoNoise)(nil)

// Laplace implements [NoiseSource].
func (n *CryptoNoise) Laplace(scale *big.Rat) (int64, error) {
	if scale == nil || scale.Sign() <= 0 {
		return 0, noiseErr("Laplace", "scale must be positive")
	}
	n.mu.Lock()
	x := n.s.laplace(scale.Num(), scale.Denom())
	n.mu.Unlock()
	return fitInt64("Laplace", x)
}

// Gaussian implements [NoiseSource].
func (n *CryptoNoise) Gaussian(sigma2 *big.Rat) (int64, error) {
	if sigma2 == nil || sigma2.Sign() <= 0 {
		return 0, noiseErr("Gaussian", "σ² must be positive")
	}
	n.mu.Lock()
	x := n.s.gaussian(sigma2.Num(), sigma2.Denom())
	n.mu.Unlock()
	return fitInt64("Gaussian", x)
}

// Intn implements [NoiseSource].
func (n *CryptoNoise) Intn(k int64) (int64, error) {
	if k <= 0 {
		return 0, noiseErr("Intn", "n must be positive")
	}
	n.mu.Lock()
	x := n.s.below(uint64(k))
	n.mu.Unlock()
	return int64(x), nil
}

func noiseErr(method, msg string) error {
	return &privacy.Error{Op: "aggregate.CryptoNoise." + method, Msg: msg, Err: privacy.ErrInvalid}
}

func fitInt64(method string, x *big.Int) (int64, error) {
	if !x.IsInt64() {
		return 0, noiseErr(method, "draw does not fit in an int64")
	}
	return x.Int64(), nil
}

// sampler holds the exact sampling algorithms. It is not safe for concurrent
// use; CryptoNoise guards it with a mutex.
type sampler struct {
	fill  func([]byte) // source of uniform bytes; nil means crypto/rand
	buf   [512]byte
	avail int // unread bytes at the end of buf

	bitBuf uint64
	nbits  int

	unit big.Int // 1, once one has been called
}

// one returns the integer 1, for parameters such as γ = 1/1.
func (s *sampler) one() *big.Int {
	if s.unit.Sign() == 0 {
		s.unit.SetInt64(1)
	}
	return &s.unit
}

func (s *sampler) read(p []byte) {
	for len(p) > 0 {
		if s.avail == 0 {
			if s.fill != nil {
				s.fill(s.buf[:])
			} else {
				// Since Go 1.24 crypto/rand.Read never returns an error: it
				// crashes the program if the kernel cannot supply randomness.
				_, _ = rand.Read(s.buf[:])
			}
			s.avail = len(s.buf)
		}
		k := copy(p, s.buf[len(s.buf)-s.avail:])
		s.avail -= k
		p = p[k:]
	}
}

func (s *sampler) uint64() uint64 {
	var b [8]byte
	s.read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

func (s *sampler) bit() bool {
	if s.nbits == 0 {
		s.bitBuf, s.nbits = s.uint64(), 64
	}
	b := s.bitBuf&1 == 1
	s.bitBuf >>= 1
	s.nbits--
	return b
}

// below returns an integer drawn uniformly from [0, n), n > 0, by masking and
// rejection (at most two tries expected).
func (s *sampler) below(n uint64) uint64 {
	if n&(n-1) == 0 {
		return s.uint64() & (n - 1)
	}
	mask := uint64(math.MaxUint64) >> bits.LeadingZeros64(n-1)
	for {
		if x := s.uint64() & mask; x < n {
			return x
		}
	}
}

// uniform sets z to an integer drawn uniformly from [0, n), n > 0, and returns z.
func (s *sampler) uniform(z, n *big.Int) *big.Int {
	if n.IsUint64() {
		return z.SetUint64(s.below(n.Uint64()))
	}
	k := n.BitLen()
	b := make([]byte, (k+7)/8)
	top := byte(0xff) >> (8*len(b) - k)
	for {
		s.read(b)
		b[0] &= top
		if z.SetBytes(b).Cmp(n) < 0 {
			return z
		}
	}
}

// bernoulli returns true with probability num/den, where 0 ≤ num ≤ den and den > 0.
func (s *sampler) bernoulli(num, den *big.Int) bool {
	if den.IsUint64() {
		return s.below(den.Uint64()) < num.Uint64()
	}
	var u big.Int
	return s.uniform(&u, den).Cmp(num) < 0
}

// bernoulliExp returns true with probability exp(-num/den), where num ≥ 0 and
// den > 0 (CKS Algorithm 1). exp(-γ) for γ > 1 is drawn as floor(γ) draws of
// exp(-1) and one of exp(-(γ - floor(γ))); the loop stops at the first
// failure, so its expected length is below 1/(1-1/e) ≈ 1.6 whatever γ is.
func (s *sampler) bernoulliExp(num, den *big.Int) bool {
	if num.Cmp(den) <= 0 {
		return s.bernoulliExpUnit(num, den)
	}
	var q, r big.Int
	q.QuoRem(num, den, &r)
	// A floor(γ) beyond 2^64 would need more than 2^64 consecutive successes
	// of probability 1/e each; stopping the count there changes nothing that
	// could ever be observed.
	count := uint64(math.MaxUint64)
	if q.IsUint64() {
		count = q.Uint64()
	}
	for range count {
		if !s.bernoulliExpUnit(s.one(), s.one()) {
			return false
		}
	}
	return s.bernoulliExpUnit(&r, den)
}

// bernoulliExpUnit returns true with probability exp(-γ) for γ = num/den in
// [0, 1]: it counts K, the first k for which a Bernoulli(γ/k) draw fails, and
// reports whether K is odd, which happens with probability exp(-γ).
func (s *sampler) bernoulliExpUnit(num, den *big.Int) bool {
	if num.IsUint64() && den.IsUint64() && den.Uint64() <= 1<<32 {
		n, d := num.Uint64(), den.Uint64()
		k := uint64(1)
		// d*k stays below 2^63 for k < 2^31; reaching such a k has
		// probability below 1/(2^31)!.
		for k < 1<<31 && s.below(d*k) < n {
			k++
		}
		return k%2 == 1
	}
	k := int64(1)
	var dk, kk big.Int
	for {
		dk.Mul(den, kk.SetInt64(k))
		if !s.bernoulli(num, &dk) {
			return k%2 == 1
		}
		k++
	}
}

// laplace returns a draw from the discrete Laplace distribution of scale t/d
// (t, d > 0): P(X = x) ∝ exp(-|x|·d/t) (CKS Algorithm 2). It draws the
// magnitude as U + t·V with U uniform in [0, t) accepted with probability
// exp(-U/t) and V geometric, divides by d, and rejects negative zero so that
// zero is not counted twice.
func (s *sampler) laplace(t, d *big.Int) *big.Int {
	var u, x big.Int
	for {
		s.uniform(&u, t)
		if !s.bernoulliExp(&u, t) {
			continue
		}
		var v int64
		for s.bernoulliExpUnit(s.one(), s.one()) {
			v++
		}
		x.Mul(t, x.SetInt64(v))
		x.Add(&x, &u)
		y := new(big.Int).Quo(&x, d)
		neg := s.bit()
		if neg && y.Sign() == 0 {
			continue
		}
		if neg {
			y.Neg(y)
		}
		return y
	}
}

// gaussian returns a draw from the discrete Gaussian distribution with σ² =
// n/d: P(X = x) ∝ exp(-x²/(2σ²)) (CKS Algorithm 3). It proposes discrete
// Laplace draws Y of scale t = floor(σ)+1 and accepts each with probability
// exp(-(|Y| - σ²/t)² / (2σ²)).
func (s *sampler) gaussian(n, d *big.Int) *big.Int {
	var t big.Int
	t.Quo(n, d) // floor(σ) = floor(sqrt(floor(σ²)))
	t.Sqrt(&t)
	t.Add(&t, s.one())
	// γ = (|Y|·t·d - n)² / (2·n·d·t²)
	var td, den, num big.Int
	td.Mul(&t, d)
	den.Mul(&td, &t)
	den.Mul(&den, n)
	den.Lsh(&den, 1)
	for {
		y := s.laplace(&t, s.one())
		num.Abs(y)
		num.Mul(&num, &td)
		num.Sub(&num, n)
		num.Mul(&num, &num)
		if s.bernoulliExp(&num, &den) {
			return y
		}
	}
}
