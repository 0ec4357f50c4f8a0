;; idct.wat: the JPEG inverse transform's kernel of package simd, one part
;; of the kernels' module (make simd splices the parts into it; doc.go).

  ;; idct8(coef, n, at, plane, stride): the full-size inverse transform of
  ;; n blocks, as package lumajpeg's inverse8 makes it: block i's 64
  ;; dequantised coefficients, i32 in natural order, at coef + 256i, its
  ;; 8×8 samples into the plane at plane + (the i32 at at + 4i), rows
  ;; stride bytes apart. Both passes of lumajpeg's pass8 (columns, then
  ;; rows) in i32 lanes, four columns or rows a vector: lumajpeg's
  ;; coefficients are within ±4096, so every sum fits 32 bits (the
  ;; largest, of the second pass, is under 1.9·10⁹), and the lanes give
  ;; its 64-bit sums exactly. Between the passes, and before the samples
  ;; are stored, the 8×8 block is turned by four 4×4 transposes; the
  ;; samples are held to [0, 255] by the saturating narrowings.
  (func (export "idct8") (param $coef i32) (param $n i32) (param $at i32) (param $plane i32) (param $stride i32)
    (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    (local $y4 v128) (local $y5 v128) (local $y6 v128) (local $y7 v128)
    (local $z0 v128) (local $z1 v128) (local $z2 v128) (local $z3 v128)
    (local $z4 v128) (local $z5 v128) (local $z6 v128) (local $z7 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $dst i32) (local $g i32)
    local.get $n
    i32.eqz
    if
      return
    end
    loop $block
      ;; columns 0–3, then 4–7: y_k and z_k are row k of the first pass
      local.get $coef  v128.load offset=0 align=4
      local.get $coef  v128.load offset=32 align=4
      local.get $coef  v128.load offset=64 align=4
      local.get $coef  v128.load offset=96 align=4
      local.get $coef  v128.load offset=128 align=4
      local.get $coef  v128.load offset=160 align=4
      local.get $coef  v128.load offset=192 align=4
      local.get $coef  v128.load offset=224 align=4
      i32.const 10  ;; pass1Shift
      v128.const i32x4 512 512 512 512
      call $idctPass
      local.set $y7  local.set $y6  local.set $y5  local.set $y4
      local.set $y3  local.set $y2  local.set $y1  local.set $y0
      local.get $coef  v128.load offset=16 align=4
      local.get $coef  v128.load offset=48 align=4
      local.get $coef  v128.load offset=80 align=4
      local.get $coef  v128.load offset=112 align=4
      local.get $coef  v128.load offset=144 align=4
      local.get $coef  v128.load offset=176 align=4
      local.get $coef  v128.load offset=208 align=4
      local.get $coef  v128.load offset=240 align=4
      i32.const 10
      v128.const i32x4 512 512 512 512
      call $idctPass
      local.set $z7  local.set $z6  local.set $z5  local.set $z4
      local.set $z3  local.set $z2  local.set $z1  local.set $z0
      local.get $plane  local.get $at  i32.load  i32.add  local.set $dst
      ;; rows 0–3 (g = 0), then rows 4–7 (g = 1): the second pass on the
      ;; columns of those rows, turned back into rows and stored
      i32.const 0  local.set $g
      loop $half
        local.get $g
        if
          local.get $y4  local.set $y0  local.get $y5  local.set $y1
          local.get $y6  local.set $y2  local.get $y7  local.set $y3
          local.get $z4  local.set $z0  local.get $z5  local.set $z1
          local.get $z6  local.set $z2  local.get $z7  local.set $z3
        end
        local.get $y0  local.get $y1  local.get $y2  local.get $y3
        call $transpose4
        local.get $z0  local.get $z1  local.get $z2  local.get $z3
        call $transpose4
        i32.const 16  ;; pass2Shift
        v128.const i32x4 8421376 8421376 8421376 8421376  ;; 1<<15 + 128<<16
        call $idctPass
        ;; a_n, b_n: output column n (n < 4), and n+4, of the four rows
        local.set $b3  local.set $b2  local.set $b1  local.set $b0
        local.set $a3  local.set $a2  local.set $a1  local.set $a0
        local.get $a0  local.get $a1  local.get $a2  local.get $a3
        call $transpose4
        local.set $a3  local.set $a2  local.set $a1  local.set $a0
        local.get $b0  local.get $b1  local.get $b2  local.get $b3
        call $transpose4
        local.set $b3  local.set $b2  local.set $b1  local.set $b0
        local.get $dst  local.get $a0  local.get $b0  call $narrow  v128.store64_lane align=1 0
        local.get $dst  local.get $stride  i32.add  local.tee $dst
        local.get $a1  local.get $b1  call $narrow  v128.store64_lane align=1 0
        local.get $dst  local.get $stride  i32.add  local.tee $dst
        local.get $a2  local.get $b2  call $narrow  v128.store64_lane align=1 0
        local.get $dst  local.get $stride  i32.add  local.tee $dst
        local.get $a3  local.get $b3  call $narrow  v128.store64_lane align=1 0
        local.get $dst  local.get $stride  i32.add  local.set $dst
        local.get $g  i32.const 1  i32.add  local.tee $g
        i32.const 2  i32.lt_u
        br_if $half
      end
      local.get $coef  i32.const 256  i32.add  local.set $coef
      local.get $at  i32.const 4  i32.add  local.set $at
      local.get $n  i32.const 1  i32.sub  local.tee $n
      br_if $block
    end
  )

  ;; idctPass(x0, …, x7, shift, round): lumajpeg's pass8 on four vectors
  ;; at once, x_k element k of each: its eight outputs, (e ± o + round)
  ;; >> shift, from the even part's butterflies and the odd part's 4×4
  ;; product of the weights w1, w3, w5 and w7 with their signs.
  (func $idctPass (param $x0 v128) (param $x1 v128) (param $x2 v128) (param $x3 v128)
      (param $x4 v128) (param $x5 v128) (param $x6 v128) (param $x7 v128)
      (param $shift i32) (param $round v128)
      (result v128 v128 v128 v128 v128 v128 v128 v128)
    (local $ee0 v128) (local $ee1 v128) (local $eo0 v128) (local $eo1 v128)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
    (local $o0 v128) (local $o1 v128) (local $o2 v128) (local $o3 v128)
    ;; the even part, the rounding added in
    local.get $x0  local.get $x4  i32x4.add  v128.const i32x4 2896 2896 2896 2896  i32x4.mul  local.set $ee0
    local.get $x0  local.get $x4  i32x4.sub  v128.const i32x4 2896 2896 2896 2896  i32x4.mul  local.set $ee1
    local.get $x2  v128.const i32x4 3784 3784 3784 3784  i32x4.mul
    local.get $x6  v128.const i32x4 1567 1567 1567 1567  i32x4.mul  i32x4.add  local.set $eo0
    local.get $x2  v128.const i32x4 1567 1567 1567 1567  i32x4.mul
    local.get $x6  v128.const i32x4 3784 3784 3784 3784  i32x4.mul  i32x4.sub  local.set $eo1
    local.get $ee0  local.get $eo0  i32x4.add  local.get $round  i32x4.add  local.set $e0
    local.get $ee1  local.get $eo1  i32x4.add  local.get $round  i32x4.add  local.set $e1
    local.get $ee1  local.get $eo1  i32x4.sub  local.get $round  i32x4.add  local.set $e2
    local.get $ee0  local.get $eo0  i32x4.sub  local.get $round  i32x4.add  local.set $e3
    ;; o0 = w1·x1 + w3·x3 + w5·x5 + w7·x7
    local.get $x1  v128.const i32x4 4017 4017 4017 4017  i32x4.mul
    local.get $x3  v128.const i32x4 3406 3406 3406 3406  i32x4.mul  i32x4.add
    local.get $x5  v128.const i32x4 2276 2276 2276 2276  i32x4.mul  i32x4.add
    local.get $x7  v128.const i32x4 799 799 799 799  i32x4.mul  i32x4.add  local.set $o0
    ;; o1 = w3·x1 − w7·x3 − w1·x5 − w5·x7
    local.get $x1  v128.const i32x4 3406 3406 3406 3406  i32x4.mul
    local.get $x3  v128.const i32x4 799 799 799 799  i32x4.mul  i32x4.sub
    local.get $x5  v128.const i32x4 4017 4017 4017 4017  i32x4.mul  i32x4.sub
    local.get $x7  v128.const i32x4 2276 2276 2276 2276  i32x4.mul  i32x4.sub  local.set $o1
    ;; o2 = w5·x1 − w1·x3 + w7·x5 + w3·x7
    local.get $x1  v128.const i32x4 2276 2276 2276 2276  i32x4.mul
    local.get $x3  v128.const i32x4 4017 4017 4017 4017  i32x4.mul  i32x4.sub
    local.get $x5  v128.const i32x4 799 799 799 799  i32x4.mul  i32x4.add
    local.get $x7  v128.const i32x4 3406 3406 3406 3406  i32x4.mul  i32x4.add  local.set $o2
    ;; o3 = w7·x1 − w5·x3 + w3·x5 − w1·x7
    local.get $x1  v128.const i32x4 799 799 799 799  i32x4.mul
    local.get $x3  v128.const i32x4 2276 2276 2276 2276  i32x4.mul  i32x4.sub
    local.get $x5  v128.const i32x4 3406 3406 3406 3406  i32x4.mul  i32x4.add
    local.get $x7  v128.const i32x4 4017 4017 4017 4017  i32x4.mul  i32x4.sub  local.set $o3
    local.get $e0  local.get $o0  i32x4.add  local.get $shift  i32x4.shr_s
    local.get $e1  local.get $o1  i32x4.add  local.get $shift  i32x4.shr_s
    local.get $e2  local.get $o2  i32x4.add  local.get $shift  i32x4.shr_s
    local.get $e3  local.get $o3  i32x4.add  local.get $shift  i32x4.shr_s
    local.get $e3  local.get $o3  i32x4.sub  local.get $shift  i32x4.shr_s
    local.get $e2  local.get $o2  i32x4.sub  local.get $shift  i32x4.shr_s
    local.get $e1  local.get $o1  i32x4.sub  local.get $shift  i32x4.shr_s
    local.get $e0  local.get $o0  i32x4.sub  local.get $shift  i32x4.shr_s
  )

  ;; transpose4(a, b, c, d): the four i32 rows a–d of a 4×4 block as its
  ;; four columns.
  (func $transpose4 (param $a v128) (param $b v128) (param $c v128) (param $d v128)
      (result v128 v128 v128 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    local.get $a  local.get $b  i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23  local.set $t0    ;; a0 b0 a1 b1
    local.get $a  local.get $b  i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31  local.set $t1  ;; a2 b2 a3 b3
    local.get $c  local.get $d  i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23  local.set $t2    ;; c0 d0 c1 d1
    local.get $c  local.get $d  i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31  local.set $t3  ;; c2 d2 c3 d3
    local.get $t0  local.get $t2  i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23      ;; a0 b0 c0 d0
    local.get $t0  local.get $t2  i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 ;; a1 b1 c1 d1
    local.get $t1  local.get $t3  i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23      ;; a2 b2 c2 d2
    local.get $t1  local.get $t3  i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 ;; a3 b3 c3 d3
  )

  ;; narrow(a, b): the eight i32 of a then b as bytes, each held to
  ;; [0, 255], in the low 8 bytes.
  (func $narrow (param $a v128) (param $b v128) (result v128)
    local.get $a  local.get $b  i16x8.narrow_i32x4_s
    local.get $a  local.get $b  i16x8.narrow_i32x4_s  ;; (the high half unused)
    i8x16.narrow_i16x8_u
  )
