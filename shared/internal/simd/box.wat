;; box.wat: the 5×5 box sums' kernel of package simd, one part of the
;; kernels' module (make simd splices the parts into it; doc.go).

  ;; box5(p, w, h, cols, out): the 5×5 box sums of the plane of w×h pixels
  ;; at p (w and h at least 5), as package feature's level.smoothed makes
  ;; them: the 16-bit sum at out + 2(y·w + x) of the pixels within 2 rows
  ;; and 2 columns of (x, y), for each pixel at least 2 from the border;
  ;; the others left as they are. cols is room for w 16-bit column sums.
  ;; Row by row, 8 columns at a time (the rest of a row one at a time):
  ;; the sums of 5 pixels down each column are kept running (the new
  ;; row's pixel added, that of 5 rows up taken away), and each output is
  ;; the sum of 5 neighbouring column sums. Every sum fits 16 bits (5·5·255).
  (func (export "box5") (param $p i32) (param $w i32) (param $h i32) (param $cols i32) (param $out i32)
    (local $y i32) (local $x i32) (local $row i32) (local $up i32) (local $c i32) (local $o i32)
    (local $end8 i32) (local $last i32)
    ;; the columns' sums start at 0
    i32.const 0  local.set $x
    block $zeroed
      loop $zero
        local.get $x  local.get $w  i32.ge_u  br_if $zeroed
        local.get $cols  local.get $x  i32.const 1  i32.shl  i32.add  i32.const 0  i32.store16
        local.get $x  i32.const 1  i32.add  local.set $x
        br $zero
      end
    end
    ;; the columns a vector of 8 may start at, and the outputs a row has
    local.get $w  i32.const -8  i32.and  local.set $end8
    local.get $w  i32.const 2  i32.sub  local.set $last
    i32.const 0  local.set $y
    loop $rows
      local.get $p  local.get $y  local.get $w  i32.mul  i32.add  local.set $row
      local.get $row  local.get $w  i32.const 5  i32.mul  i32.sub  local.set $up
      ;; the column sums: the row added, the row 5 up taken away from row 5 on
      i32.const 0  local.set $x
      block $vdone
        loop $v
          local.get $x  local.get $end8  i32.ge_u  br_if $vdone
          local.get $cols  local.get $x  i32.const 1  i32.shl  i32.add  local.tee $c
          local.get $c  v128.load align=1
          local.get $row  local.get $x  i32.add  v128.load8x8_u align=1  i16x8.add
          local.get $y  i32.const 5  i32.ge_u
          if (param v128) (result v128)
            local.get $up  local.get $x  i32.add  v128.load8x8_u align=1  i16x8.sub
          end
          v128.store align=1
          local.get $x  i32.const 8  i32.add  local.set $x
          br $v
        end
      end
      block $sdone
        loop $s
          local.get $x  local.get $w  i32.ge_u  br_if $sdone
          local.get $cols  local.get $x  i32.const 1  i32.shl  i32.add  local.tee $c
          local.get $c  i32.load16_u
          local.get $row  local.get $x  i32.add  i32.load8_u  i32.add
          local.get $y  i32.const 5  i32.ge_u
          if (param i32) (result i32)
            local.get $up  local.get $x  i32.add  i32.load8_u  i32.sub
          end
          i32.store16
          local.get $x  i32.const 1  i32.add  local.set $x
          br $s
        end
      end
      ;; from row 4 on, row y−2's sums: columns 2 to w−3
      local.get $y  i32.const 4  i32.ge_u
      if
        local.get $out  local.get $y  i32.const 2  i32.sub  local.get $w  i32.mul  i32.const 1  i32.shl  i32.add  local.set $o
        i32.const 2  local.set $x
        block $hdone
          loop $hv
            local.get $x  i32.const 8  i32.add  local.get $last  i32.gt_u  br_if $hdone
            local.get $o  local.get $x  i32.const 1  i32.shl  i32.add
            local.get $cols  local.get $x  i32.const 1  i32.shl  i32.add  i32.const 4  i32.sub  local.tee $c
            v128.load offset=0 align=1  ;; columns x−2 on
            local.get $c  v128.load offset=2 align=1  i16x8.add
            local.get $c  v128.load offset=4 align=1  i16x8.add
            local.get $c  v128.load offset=6 align=1  i16x8.add
            local.get $c  v128.load offset=8 align=1  i16x8.add
            v128.store align=1
            local.get $x  i32.const 8  i32.add  local.set $x
            br $hv
          end
        end
        block $hsdone
          loop $hs
            local.get $x  local.get $last  i32.ge_u  br_if $hsdone
            local.get $o  local.get $x  i32.const 1  i32.shl  i32.add
            local.get $cols  local.get $x  i32.const 1  i32.shl  i32.add  i32.const 4  i32.sub  local.tee $c
            i32.load16_u offset=0
            local.get $c  i32.load16_u offset=2  i32.add
            local.get $c  i32.load16_u offset=4  i32.add
            local.get $c  i32.load16_u offset=6  i32.add
            local.get $c  i32.load16_u offset=8  i32.add
            i32.store16
            local.get $x  i32.const 1  i32.add  local.set $x
            br $hs
          end
        end
      end
      local.get $y  i32.const 1  i32.add  local.tee $y
      local.get $h  i32.lt_u
      br_if $rows
    end
  )
