package metabody_test

import (
	"errors"
	"fmt"

	"github.com/pixmatch/pixmatch/server/api/alibaba/metabody"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// A client writes an /item/add body with Build, and the server reads it
// back with ParseAdd.
func ExampleParseAdd() {
	body := metabody.Build([]metabody.Field{
		{Key: metabody.KeyItemID, Value: "poster-7"},
		{Key: metabody.KeyCustContent, Value: "海报"},
		{Key: metabody.KeyPicList, Value: metabody.PicKey("front.jpg")},
		{Key: metabody.PicKey("front.jpg"), Value: "/9j/4AAQ"}, // base64 of the JPEG bytes
	})
	fmt.Printf("%s\n", body)

	r, err := metabody.ParseAdd(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.ItemID, r.CustContent, r.Pics[0].Name, r.Pics[0].Data)
	// Output:
	// item_id,0,8#cust_content,8,14#pic_list,14,26#ZnJvbnQuanBn,26,34^poster-7海报ZnJvbnQuanBn/9j/4AAQ
	// poster-7 海报 front.jpg [255 216 255 224 0 16]
}

// The offsets the Java SDK counts in UTF-16 units read the same values.
func ExampleParse() {
	values, err := metabody.Parse([]byte("item_id,0,1#cust_content,1,3^7海报"))
	fmt.Println(values, err)

	_, err = metabody.Parse([]byte("item_id,0,1"))
	fmt.Println(errors.Is(err, apierror.NoCaretSeperator))
	// Output:
	// map[cust_content:海报 item_id:7] <nil>
	// true
}
